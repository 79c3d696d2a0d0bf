"""Gather the raw text of every setting from a pytest config: options, env, .env, ini.

The ``.env`` file is read with python-dotenv into a dictionary: ``os.environ`` is never
modified, and a variable already in the real environment always wins. Reading it is a
separate step, taken only when the run needs the plugin (see :mod:`pytest_tm_auth.startup`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from pytest_tm_auth.errors import ConfigError
from pytest_tm_auth.general import ENV_FILE
from pytest_tm_auth.settings import Setting, Sources, resolve


def gather(
    config: pytest.Config, settings: Iterable[Setting], environ: Mapping[str, str] | None = None
) -> Sources:
    """The raw text of ``settings`` in the options, the environment and the ini file.

    Not the ``.env`` files: :func:`env_files` says which apply, :func:`with_env_files` reads them.
    """
    settings = list(settings)
    environ = os.environ if environ is None else environ
    return Sources(
        options={s.name: config.getoption(s.name, default=None) for s in settings},
        # A copy, as at start: a test module changing os.environ later changes nothing.
        environ={s.env: environ[s.env] for s in settings if s.env in environ},
        ini={s.name: ini_text(config, s) for s in settings},
        ini_name=config.inipath.name if config.inipath else "ini",
    )


def ini_text(config: pytest.Config, setting: Setting) -> str:
    """The raw ini value of ``setting``, or ``""`` when unset or unknown to the ini parser."""
    try:
        value = config.getini(setting.ini)
    except ValueError:  # a provider registered after the ini keys were read
        return ""
    return value if isinstance(value, str) else ""


def env_files(config: pytest.Config, sources: Sources) -> list[Path]:
    """The ``.env`` files this run reads, found without opening them: only stat calls."""
    chosen = resolve([ENV_FILE], sources)
    text = chosen.text(ENV_FILE.name)
    if text:
        paths = [config.rootpath / part.strip() for part in text.split(",") if part.strip()]
        for path in paths:
            if not path.is_file():
                raise ConfigError(
                    f"{ENV_FILE.option} from {chosen.source(ENV_FILE.name)} names {path}, "
                    "which does not exist"
                )
    else:
        default = config.rootpath / ".env"
        paths = [default] if default.is_file() else []
    return paths


def with_env_files(config: pytest.Config, sources: Sources, paths: Iterable[Path]) -> Sources:
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
        files.update(dict.fromkeys(read, _shown(config.rootpath, path)))
    return sources.with_dotenv(values, files)


def _shown(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
