"""When the run's settings are checked and its providers set up.

Settings are checked at configure, so a bad value stops the run at start; the providers
are built when first needed (the report header, a test's fixture, a mode). A ``.env`` file
is the exception: reading it waits until the run needs the plugin (the header, a selected
test using a fixture, the check, a reset, xdist) or until output holds text whose secrets
must be hidden, so quiet runs and IDE discovery that never touch a service never open it.
Values from the command line and the environment win over the file, so each is still
checked at start; what depends on the file is checked once it is read, before any test.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_tm_auth.catalog import Catalog
from pytest_tm_auth.errors import (
    ConfigError,
    InsecureTransportWarning,
    MissingCredentials,
    SecretInIniWarning,
    TokenStoreWarning,
)
from pytest_tm_auth.general import (
    ACTIONS,
    ALLOW_HTTP,
    CA_BUNDLE,
    CHECK,
    INSECURE,
    ON_MISSING,
    REMEMBER,
    RESET,
    RETRIES,
    SANDBOX,
    TIMEOUT,
)
from pytest_tm_auth.scrub import Scrubber
from pytest_tm_auth.settings import Setting, Source, Sources, Values, resolve
from pytest_tm_auth.sources import env_files, gather, ini_text, with_env_files
from pytest_tm_auth.urls import checked_url

if TYPE_CHECKING:
    from pytest_tm_auth.http import Transport
    from pytest_tm_auth.registry import ProviderState, TmAuth

#: Plugins registered per run, only when their mode is on (``-p no:tm_auth_xdist`` works).
XDIST_PLUGIN = "tm_auth_xdist"
REDACTION_PLUGIN = "tm_auth_redaction"
CHECK_PLUGIN = "tm_auth_check"


class Run:
    """Everything the plugin knows for one pytest run, once its providers are set up."""

    __slots__ = ("hooked_credentials", "scrubber", "states", "tm_auth")

    def __init__(
        self,
        states: dict[str, ProviderState],
        tm_auth: TmAuth,
        scrubber: Scrubber,
        *,
        hooked_credentials: bool,
    ) -> None:
        self.states = states
        self.tm_auth = tm_auth
        self.scrubber = scrubber
        #: A credentials hook is registered: the header says settings may come from it.
        self.hooked_credentials = hooked_credentials


class Startup:
    """Checks the run's settings as early as they are known; sets providers up on first need."""

    def __init__(self, config: pytest.Config, catalog: Catalog) -> None:
        self._config = config
        self._catalog = catalog
        self._settings: Sequence[Setting] = list(catalog.settings.values())
        self._lock = threading.Lock()
        self._values: Values | None = None
        self._run: Run | None = None
        self._error: ConfigError | None = None
        self._warned_insecure = False
        self.scrubber = Scrubber()
        self._redact = _redaction_starter(config, self.scrubber)
        self._sources = gather(config, self._settings)
        self._env_files: list[Path] = []
        self._read_sources: Sources | None = None

    def configure(self) -> None:
        """At ``pytest_configure``: check what is known now; set up if a mode needs it now."""
        if _prints_help_only(self._config):
            return  # --help, --markers: no test runs, nothing to check or hide
        self._env_files = env_files(self._config, self._sources)
        _warn_about_ini_secrets(self._config, self._settings)
        needed = self._needed_at_start()
        if self._env_files and not needed:
            self._check_before_env_files()
            return
        self._values = self._settled_values()
        if needed:
            self.setup()

    def _needed_at_start(self) -> bool:
        """The header shows every provider; xdist shares logins from the controller; an
        action (the check, a reset) is for this run whether or not a test then logs in."""
        config = self._config
        if _header_shown(config) or hasattr(config, "workerinput"):
            return True
        if getattr(config.option, "dist", "no") != "no":
            return True
        actions = resolve(ACTIONS, self._sources)  # never from .env, which is not read yet
        return any(actions.flag(action.name) for action in ACTIONS)

    def _check_before_env_files(self) -> None:
        """Check now what no ``.env`` file can change, and hide every secret a test can read."""
        # The command line and the environment win over the file: each of their values is
        # checked now. Checks that combine values (http to a remote host unless allowed,
        # mixed deployments) wait for the file.
        early = resolve(self._settings, self._sources.above_dotenv())
        _check_transport(early, allow_http=True)
        if early.flag(INSECURE.name):
            self._warn_about_insecure(early)
        # Tests can read secrets too: the environment's, the ini file's (config.getini) and,
        # should a conftest load it, the .env file's, learnt before any text is scrubbed.
        self.scrubber.add(*early.secrets(), *self._ini_secrets())
        self.scrubber.add_later(self._env_file_secrets)
        self._redact()

    @property
    def current(self) -> Run | None:
        """The run if it is set up, else ``None`` (it is never set up just to be looked at)."""
        return self._run

    def setup(self) -> Run:
        """The set-up run; the first call builds the providers (and reads ``.env`` if due).

        Raises :class:`ConfigError` for a bad setting, the same one on every call.
        """
        if self._run is not None:
            return self._run
        with self._lock:
            if self._run is None and self._error is None:
                try:
                    self._run = self._build()
                except ConfigError as exc:
                    self._error = exc
            if self._error is not None:
                raise self._error
            assert self._run is not None
            return self._run

    def _build(self) -> Run:
        from pytest_tm_auth.registry import Accounts, ProviderState, TmAuth

        config = self._config
        values = self._settled_values() if self._values is None else self._values
        transport = _transport_factory(values)
        accounts = Accounts()
        states = {
            name: ProviderState(
                provider,
                values,
                config,
                transport,
                self.scrubber,
                accounts=accounts,
                on_first_use=self._redact,
            )
            for name, provider in self._catalog.providers.items()
        }
        on_missing = values.text(ON_MISSING.name) or "skip"
        hooked = bool(config.hook.pytest_tm_auth_credentials.get_hookimpls())
        tm_auth = TmAuth(states, on_missing, self.scrubber)
        run = Run(states, tm_auth, self.scrubber, hooked_credentials=hooked)
        _wire_modes(config, values, states, self.scrubber)
        return run

    def _settled_values(self) -> Values:
        """Every setting's final value, checked as a whole; its secrets hidden from then on."""
        self.scrubber.add_pending()  # reads the .env files once, if put off until now
        sources = self._with_env_files()
        dotenv_only = Sources(dotenv=sources.dotenv, dotenv_files=sources.dotenv_files)
        in_file = resolve(ACTIONS, dotenv_only)
        for action in ACTIONS:
            if in_file.flag(action.name):
                raise ConfigError(
                    f"{action.env} is turned on in {sources.dotenv_files[action.env]}, but "
                    f"{action.option} is an action for one run, not a setting to keep: pass "
                    f"{action.option} on the command line instead"
                )
        values = resolve(self._settings, sources)
        if values.flag(SANDBOX.name):
            values = _start_sandbox(self._config, values)
        _check_transport(values)
        for provider in self._catalog.providers.values():
            # Mixed deployments, a bad URL: a ConfigError. Missing credentials only skip tests.
            with contextlib.suppress(MissingCredentials):
                provider.target(values)
        # Also the secrets that lose to a higher source: a test can still read them.
        self.scrubber.add(*values.secrets(), *self._ini_secrets(), *self._env_file_secrets())
        if self.scrubber:
            self._redact()
        if values.flag(INSECURE.name):
            self._warn_about_insecure(values)
        return values

    def _with_env_files(self) -> Sources:
        """The sources with the ``.env`` files read, once, by whoever needs them first."""
        if not self._env_files:
            return self._sources
        if self._read_sources is None:
            self._read_sources = with_env_files(self._config, self._sources, self._env_files)
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

    def _warn_about_insecure(self, values: Values) -> None:
        if not self._warned_insecure:
            self._warned_insecure = True
            _warn(
                self._config,
                InsecureTransportWarning(
                    f"TLS verification is OFF ({values.describe(INSECURE.name)}): anyone on "
                    "the network path can read the credentials; use --tm-auth-ca-bundle instead"
                ),
            )


def _prints_help_only(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "help", False) or getattr(config.option, "markers", False))


def _header_shown(config: pytest.Config) -> bool:
    """Whether pytest's terminal reporter will ask for the report header (not under ``-q``)."""
    return (
        config.option.verbose >= 0
        and not getattr(config.option, "no_header", False)
        and not config.pluginmanager.is_blocked("terminal")
    )


def _wire_modes(
    config: pytest.Config, values: Values, states: dict[str, ProviderState], scrubber: Scrubber
) -> None:
    """Remembered tokens, xdist sharing and ``--tm-auth-check``, each imported only in use."""
    worker = hasattr(config, "workerinput")
    check = values.flag(CHECK.name) and not worker
    if values.flag(REMEMBER.name) or values.flag(RESET.name):
        _attach_memory(config, values, states, reset=values.flag(RESET.name) and not worker)
    # xdist's own cmdline_main has turned -n N into a distribution mode by now.
    if worker or getattr(config.option, "dist", "no") != "no":
        from pytest_tm_auth import xdist

        if worker:
            xdist.adopt(config, states)
            config.pluginmanager.register(xdist.WorkerReport(config, states))
        else:
            sharing = xdist.SharedLogin(states, values)
            config.pluginmanager.register(sharing, XDIST_PLUGIN)
    if check:
        from pytest_tm_auth.check import LoginCheck

        if hasattr(config.option, "dist"):
            config.option.dist = "no"  # before xdist's trylast configure: no workers to start
        config.pluginmanager.register(LoginCheck(states, scrubber), CHECK_PLUGIN)


def _redaction_starter(config: pytest.Config, scrubber: Scrubber) -> Callable[[], None]:
    """Register the output redaction once: as soon as a secret is known (tests can read
    the environment's), else when a provider is first used. Runs with no secret
    configured, where the plugin is merely installed, pay for no per-test hook.
    """
    lock = threading.Lock()

    def start() -> None:
        with lock:
            if not config.pluginmanager.has_plugin(REDACTION_PLUGIN):
                from pytest_tm_auth.redaction import Redaction

                redaction = Redaction(scrubber)
                redaction.watch_logs(config)
                config.pluginmanager.register(redaction, REDACTION_PLUGIN)

    return start


def _attach_memory(
    config: pytest.Config, values: Values, states: dict[str, ProviderState], *, reset: bool
) -> None:
    from pytest_tm_auth.store import TokenMemory, token_key

    def warn(text: str) -> None:
        config.issue_config_time_warning(TokenStoreWarning(f"tm-auth: {text}"), stacklevel=2)

    remember = values.flag(REMEMBER.name)
    # --tm-auth-check tries the credentials: it logs in even when a token is remembered.
    reuse = remember and not reset and not values.flag(CHECK.name)
    memory = TokenMemory(warn, reuse=reuse, remember=remember)
    if reset:
        memory.forget(
            token_key(state.provider, state.target, state.values)
            for state in states.values()
            if state.target is not None
        )
    for state in states.values():
        state.memory = memory


def _start_sandbox(config: pytest.Config, values: Values) -> Values:
    if hasattr(config, "workerinput"):  # use the controller's stand-in, and so its tokens
        from pytest_tm_auth.xdist import shared_sandbox

        shared = shared_sandbox(config)
        if shared is not None:
            return values.overridden(shared, Source("sandbox", "--tm-auth-sandbox"))

    from pytest_tm_auth.sandbox import Sandbox

    sandbox = Sandbox().start()
    config.add_cleanup(sandbox.stop)
    # Only the settings this run declares: the stand-in also serves providers it may not add.
    declared = {name: text for name, text in sandbox.settings("cloud").items() if name in values}
    return values.overridden(declared, Source("sandbox", "--tm-auth-sandbox"))


def _check_transport(values: Values, *, allow_http: bool | None = None) -> None:
    """Every URL and the CA bundle, so that a typo stops the run even for a provider no test
    uses. ``allow_http`` overrides the setting (before a ``.env`` file can set it)."""
    if allow_http is None:
        allow_http = values.flag(ALLOW_HTTP.name)
    for item in values.resolved.values():
        if item.setting.url and isinstance(item.value, str) and item.value:
            checked_url(item.value, values.describe(item.setting.name), allow_http=allow_http)
    bundle = values.text(CA_BUNDLE.name)
    if bundle and not Path(bundle).is_file():
        raise ConfigError(
            f"CA bundle {bundle!r} in {values.describe(CA_BUNDLE.name)} does not exist"
        )


def _transport_factory(values: Values) -> Callable[[], Transport]:
    """Build the transport on first use, so that requests is imported only when needed."""

    @functools.cache
    def transport() -> Transport:
        from pytest_tm_auth.http import Transport

        verify: bool | str = not values.flag(INSECURE.name)
        if verify:
            verify = values.text(CA_BUNDLE.name) or True
        return Transport(
            timeout=values.number(TIMEOUT.name),
            retries=int(values.number(RETRIES.name)),
            verify=verify,
        )

    return transport


def _warn_about_ini_secrets(config: pytest.Config, settings: Sequence[Setting]) -> None:
    ini_name = config.inipath.name if config.inipath else "the ini file"
    for setting in settings:
        # Warn even when a higher source wins: the secret is still in a committed file.
        if setting.secret and ini_text(config, setting).strip():
            _warn(
                config,
                SecretInIniWarning(
                    f"{setting.ini} is a secret written in {ini_name}, a file "
                    f"that is usually committed: set {setting.env} in the environment "
                    "or a .env file instead"
                ),
            )


def _warn(config: pytest.Config, warning: Warning) -> None:
    """A configuration warning; one usage-error line where warnings are errors (``-W error``)."""
    try:
        config.issue_config_time_warning(warning, stacklevel=3)
    except Warning as raised:
        raise ConfigError(f"{type(raised).__name__}: {raised}") from None
