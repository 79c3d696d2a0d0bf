"""``.env`` files: which apply (found with stat calls only), and their variables when read.

A file is read with python-dotenv into a dictionary: ``os.environ`` is never modified, and a
variable already in the real environment always wins. Reading is a separate step, taken
only when the run needs the plugin.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pytest_tm_auth.core.errors import ConfigError
from pytest_tm_auth.settings.resolve import Sources, resolve
from pytest_tm_auth.settings.run_wide import ENV_FILE


def env_files(root: Path, sources: Sources) -> list[Path]:
    """The ``.env`` files this run reads, relative to ``root``: the setting's, or ``.env``."""
    chosen = resolve([ENV_FILE], sources)
    text = chosen.text(ENV_FILE.name)
    if text:
        paths = [root / part.strip() for part in text.split(",") if part.strip()]
        for path in paths:
            if not path.is_file():
                raise ConfigError(
                    f"{ENV_FILE.option} from {chosen.source(ENV_FILE.name)} names {path}, "
                    "which does not exist"
                )
    else:
        default = root / ".env"
        paths = [default] if default.is_file() else []
    return paths


def with_env_files(root: Path, sources: Sources, paths: Iterable[Path]) -> Sources:
    """``sources`` with every variable of the ``.env`` files ``paths``, later files winning."""
    from dotenv import dotenv_values

    values: dict[str, str | None] = {}
    files: dict[str, str] = {}
    for path in paths:  # later files win, like a list of overrides
        try:
            read = dotenv_values(path, interpolate=False, encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"Cannot read {path}: {type(exc).__name__}") from None
        values.update(read)
        files.update(dict.fromkeys(read, _shown(root, path)))
    return sources.with_dotenv(values, files)


def _shown(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
