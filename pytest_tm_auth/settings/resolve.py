"""Pick each setting's value from its sources by precedence, remembering the source.

Precedence, highest first: CLI option > process environment > ``.env`` file > OS keyring
(secrets ``pytest-tm-auth login`` stored) > ini key > default.

The raw text of each source is gathered elsewhere (the run layer reads pytest's config and
the index of stored secrets; :mod:`pytest_tm_auth.settings.dotenv` reads ``.env`` files);
this module only decides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

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
