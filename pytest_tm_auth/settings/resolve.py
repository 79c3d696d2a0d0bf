"""Pick each setting's value from its sources by precedence, remembering the source.

Precedence, highest first: CLI option > process environment > ``.env`` file > OS keyring
(secrets ``pytest-tm-auth login`` stored) > ini key > default.

The raw text of each source is gathered elsewhere (the run layer reads pytest's config and
the index of stored secrets), but for ``.env`` files, found and read here
(:func:`env_files`, :func:`with_env_files`): which apply is found with stat calls only, and
their variables are read only when the run needs the plugin. A file is read with
python-dotenv into a dictionary: ``os.environ`` is never modified, and a variable already in
the real environment always wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pytest_tm_auth.core.errors import ConfigError
from pytest_tm_auth.core.values import (
    DEFAULT,
    EMPTY,
    KEYRING,
    InKeyring,
    Resolved,
    Setting,
    Source,
    Values,
)
from pytest_tm_auth.settings.run_wide import ENV_FILE


class Sources:
    """The raw text each source holds, keyed by setting name (options by dest)."""

    __slots__ = ("dotenv", "dotenv_files", "environ", "ini", "ini_name", "keyring", "options")

    def __init__(
        self,
        *,
        options: Mapping[str, object] = EMPTY,
        environ: Mapping[str, str] = EMPTY,
        dotenv: Mapping[str, str | None] = EMPTY,
        dotenv_files: Mapping[str, str] = EMPTY,
        ini: Mapping[str, str] = EMPTY,
        ini_name: str = "ini",
        keyring: Mapping[str, str] = EMPTY,
    ) -> None:
        self.options = options
        self.environ = environ
        self.dotenv = dotenv
        #: Which ``.env`` file each variable in ``dotenv`` came from, as shown in messages.
        self.dotenv_files = dotenv_files
        self.ini = ini
        self.ini_name = ini_name
        #: The secrets the OS keyring holds for this run's sites: setting name -> site.
        self.keyring = keyring

    def with_dotenv(self, dotenv: Mapping[str, str | None], files: Mapping[str, str]) -> Sources:
        """These sources and the variables of ``.env`` files, each with its file's name."""
        return self._replaced(dotenv=dotenv, dotenv_files=files)

    def with_keyring(self, keyring: Mapping[str, str]) -> Sources:
        """These sources and the secrets the keyring holds (setting name -> site)."""
        return self._replaced(keyring=keyring)

    def _replaced(self, **changed: Any) -> Sources:
        return Sources(**{**{name: getattr(self, name) for name in self.__slots__}, **changed})

    def above_dotenv(self) -> Sources:
        """The command line and the environment: the sources a ``.env`` file never overrides."""
        return Sources(options=self.options, environ=self.environ)


def resolve(settings: Iterable[Setting], sources: Sources) -> Values:
    """Pick each setting's value by precedence: option > env > .env > keyring > ini > default."""
    resolved: dict[str, Resolved] = {}
    for setting in settings:
        resolved[setting.name] = _resolve_one(setting, sources)
    return Values(resolved)


def _resolve_one(setting: Setting, sources: Sources) -> Resolved:
    option = sources.options.get(setting.name)
    if option is not None:
        text = "1" if option is True else str(option)
        return _converted(setting, text, Source("option", setting.option))
    name = setting.env
    raw = sources.environ.get(name)
    if raw is not None and raw.strip():
        return _converted(setting, raw, Source("env", name))
    raw = sources.dotenv.get(name)
    if raw is not None and raw.strip():
        return _converted(setting, raw, Source(".env", sources.dotenv_files.get(name, "")))
    site = sources.keyring.get(setting.name)
    if site is not None and setting.secret:  # read from the keyring only when a login needs it
        return Resolved(setting, InKeyring(f"<{KEYRING}:{setting.name}>"), Source(KEYRING, site))
    raw = sources.ini.get(setting.ini)
    if raw is not None and raw.strip():
        return _converted(setting, raw, Source("ini", sources.ini_name))
    if setting.default is None:
        return Resolved(setting, False if setting.flag else None, DEFAULT)
    return _converted(setting, setting.default, DEFAULT)


def _converted(setting: Setting, text: str, source: Source) -> Resolved:
    return Resolved(setting, setting.convert(text, source), source)


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
