"""The run's setting values: their raw text in the options, environment and ini file, what
the command line and environment say at start, and the whole picture, ``.env`` files
included, once the run needs it.

A ``.env`` file is read only when needed, so quiet runs and IDE discovery that never touch a
service never open it. Its secrets are still hidden from the start: the scrubber learns them
before it first scrubs any text.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_tm_auth.core.errors import ConfigError, MissingCredentials
from pytest_tm_auth.core.scrub import Scrubber
from pytest_tm_auth.core.values import Setting, Values
from pytest_tm_auth.run.preflight import check_transport, ini_text, warn
from pytest_tm_auth.settings.resolve import Sources, env_files, resolve, with_env_files
from pytest_tm_auth.settings.run_wide import ACTIONS, SWITCHES
from pytest_tm_auth.store.base import config_directory

if TYPE_CHECKING:
    from pytest_tm_auth.core.provider import Provider


def gather(
    config: pytest.Config, settings: Iterable[Setting], environ: Mapping[str, str] | None = None
) -> Sources:
    """The raw text of ``settings`` in the options, the environment and the ini file.

    Not the ``.env`` files: :mod:`pytest_tm_auth.settings.resolve` finds and reads them.
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


class RunValues:
    """Reads and checks the run's settings; tells the scrubber every secret among them."""

    def __init__(
        self, config: pytest.Config, settings: Sequence[Setting], scrubber: Scrubber
    ) -> None:
        self._config = config
        self._settings = settings
        self._scrubber = scrubber
        self._sources = gather(config, settings)
        self._env_files: list[Path] = []
        self._read_sources: Sources | None = None

    def find_env_files(self) -> bool:
        """Which ``.env`` files apply (stat calls only); whether there are any."""
        self._env_files = env_files(self._config.rootpath, self._sources)
        return bool(self._env_files)

    def actions_on(self) -> bool:
        """An action (the check, a reset) is asked for; never from ``.env``, not read yet."""
        actions = resolve(ACTIONS, self._sources)
        return any(actions.flag(action.name) for action in ACTIONS)

    def switches_on(self) -> frozenset[str]:
        """The publishing switches turned on; never from ``.env``, which is not read yet."""
        switches = resolve(SWITCHES, self._sources)
        return frozenset(switch.name for switch in SWITCHES if switches.flag(switch.name))

    def early(self) -> Values:
        """The command line and the environment only: what no ``.env`` file can change.

        Learns every secret a test can read already: the environment's, the ini file's
        (``config.getini``) and, put off until text is first scrubbed, the ``.env`` file's.
        """
        early = resolve(self._settings, self._sources.above_dotenv())
        self._scrubber.add(*early.secrets(), *self._ini_secrets())
        self._scrubber.add_later(self._env_file_secrets)
        return early

    def settled(
        self, providers: Sequence[Provider], start_sandbox: Callable[[Values], Values]
    ) -> Values:
        """Every setting's final value, checked as a whole; its secrets hidden from then on."""
        self._scrubber.add_pending()  # reads the .env files once, if put off until now
        sources = self._with_env_files()
        dotenv_only = Sources(dotenv=sources.dotenv, dotenv_files=sources.dotenv_files)
        in_file = resolve((*ACTIONS, *SWITCHES), dotenv_only)
        for action in ACTIONS:
            if in_file.flag(action.name):
                raise ConfigError(
                    f"{action.env} is turned on in {sources.dotenv_files[action.env]}, but "
                    f"{action.option} is an action for one run, not a setting to keep: pass "
                    f"{action.option} on the command line instead"
                )
        for switch in SWITCHES:
            if in_file.flag(switch.name):
                raise ConfigError(
                    f"{switch.env} is turned on in {sources.dotenv_files[switch.env]}, but "
                    f"{switch.option} is read when the run starts, before any .env file: pass "
                    f"{switch.option}, or set {switch.env} in the environment or "
                    f"{switch.ini} in the ini file"
                )
        values = start_sandbox(self._with_keyring(sources, providers))
        check_transport(values)
        for provider in providers:
            # Mixed deployments, a bad URL: a ConfigError. Missing credentials only skip tests.
            with contextlib.suppress(MissingCredentials):
                provider.target(values)
        # Also the secrets that lose to a higher source: a test can still read them.
        self._scrubber.add(*values.secrets(), *self._ini_secrets(), *self._env_file_secrets())
        return values

    def _with_keyring(self, sources: Sources, providers: Sequence[Provider]) -> Values:
        """The settings resolved, with the secrets the keyring holds for them (see
        :mod:`.stored`): the index says which, so nothing imports keyring here."""
        values = resolve(self._settings, sources)
        directory = config_directory(os.environ)
        if not directory.is_dir():  # no login ever stored a secret: no index to import
            return values
        from pytest_tm_auth.store.stored_index import StoredIndex

        index = StoredIndex(directory)
        entries = index.entries()
        if not entries:
            if index.refused():  # a planted link is never read: say why nothing is stored
                from pytest_tm_auth.run.stored import refused_index

                warn(self._config, refused_index(index.refused()), (str(directory), 1))
            return values
        from pytest_tm_auth.run.stored import keyring_sites

        sites = keyring_sites(values, providers, entries)
        return resolve(self._settings, sources.with_keyring(sites)) if sites else values

    def _with_env_files(self) -> Sources:
        """The sources with the ``.env`` files read, once, by whoever needs them first."""
        if not self._env_files:
            return self._sources
        if self._read_sources is None:
            root = self._config.rootpath
            self._read_sources = with_env_files(root, self._sources, self._env_files)
        return self._read_sources

    def _ini_secrets(self) -> list[str]:
        ini = self._sources.ini
        return [text.strip() for s in self._settings if s.secret and (text := ini.get(s.name))]

    def _env_file_secrets(self) -> list[str]:
        """The secrets written in the ``.env`` files, unchecked: only to hide them."""
        try:
            dotenv = self._with_env_files().dotenv
        except ConfigError:  # unreadable: it holds nothing a test could have read either
            return []
        return [text.strip() for s in self._settings if s.secret and (text := dotenv.get(s.env))]
