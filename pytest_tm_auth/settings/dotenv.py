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
            where = f"{ENV_FILE.option} from {chosen.source(ENV_FILE.name)}"
            if path.is_dir():
                raise ConfigError(f"{where} names {path}, a directory, not a file")
            if not path.is_file():
                raise ConfigError(f"{where} names {path}, which does not exist")
    else:
        default = root / ".env"
        if default.is_dir():
            raise ConfigError(
                f"{default} is a directory, not a .env file: rename it, or choose the file "
                f"with {ENV_FILE.option}"
            )
        paths = [default] if default.is_file() else []
    return paths


def with_env_files(root: Path, sources: Sources, paths: Iterable[Path]) -> Sources:
    """``sources`` with every variable of the ``.env`` files ``paths``, later files winning."""
    values: dict[str, str | None] = {}
    files: dict[str, str] = {}
    for path in paths:  # later files win, like a list of overrides
        read = _parsed(_text(path), _shown(root, path))
        values.update(read)
        files.update(dict.fromkeys(read, _shown(root, path)))
    return sources.with_dotenv(values, files)


def _text(path: Path) -> str:
    """The file's text; a ConfigError naming the file, and the line that is not UTF-8."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"Cannot read {path}: {exc.strerror or type(exc).__name__}") from None
    body = raw.removeprefix(b"\xef\xbb\xbf")  # a byte order mark, as Windows editors write
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:  # never the bytes themselves: they may be a secret's
        line = body[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"Cannot read {path}:{line}: this line is not UTF-8 text; save the file as UTF-8"
        ) from None


def _parsed(text: str, shown: str) -> dict[str, str | None]:
    """The variables of a ``.env`` file's ``text``, as ``dotenv_values`` reads them (no
    interpolation); a line python-dotenv cannot parse is a warning naming file and line."""
    import io
    import logging
    import warnings

    from dotenv.parser import parse_stream

    read: dict[str, str | None] = {}
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            said = f"{shown}:{binding.original.line}: python-dotenv could not parse this line"
            logging.getLogger("pytest_tm_auth").warning("%s; it is ignored", said)
            warnings.warn(f"{said}; it is ignored", UserWarning, stacklevel=2)
        elif binding.key is not None:
            read[binding.key] = binding.value
    return read


def _shown(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
