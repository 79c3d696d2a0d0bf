"""When the run's settings are checked and its providers set up, and the ``tm_auth``
registry over them: any provider's token or session by name, logged in on first use.

Settings are checked at configure, so a bad value stops the run at start; the providers
are built when first needed (the report header, a test's fixture, a mode). A ``.env`` file
is the exception: reading it waits until the run needs the plugin (the header, a selected
test using a fixture, the check, a reset, xdist) or until output holds text whose secrets
must be hidden. Values from the command line and the environment win over the file, so each
is still checked at start; what depends on the file is checked once it is read, before any
test.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import pytest

from pytest_tm_auth.core.errors import ConfigError
from pytest_tm_auth.core.scrub import Scrubber
from pytest_tm_auth.core.values import Values
from pytest_tm_auth.run import modes, plugin_base
from pytest_tm_auth.run.catalog import Catalog
from pytest_tm_auth.run.preflight import (
    check_transport,
    ini_folder,
    insecure_warning,
    warn,
    warn_about_exposure,
    warn_about_ini_secrets,
)
from pytest_tm_auth.run.sources import RunValues
from pytest_tm_auth.settings.run_wide import (
    CA_BUNDLE,
    CHECK,
    INSECURE,
    ON_MISSING,
    RATE_LIMITS,
    RETRIES,
    SANDBOX,
    TIMEOUT,
)

if TYPE_CHECKING:
    from pytest_tm_auth.core.login_step import Vault
    from pytest_tm_auth.core.provider import Provider, Target
    from pytest_tm_auth.core.ratelimit import Budgets
    from pytest_tm_auth.core.token import Token
    from pytest_tm_auth.http.session import ApiSession, Transport
    from pytest_tm_auth.run.state import ProviderRun


class Run:
    """Everything the plugin knows for one pytest run, once its providers are set up."""

    __slots__ = ("checking", "hooked_credentials", "notes", "scrubber", "states", "tm_auth")

    def __init__(
        self,
        states: Mapping[str, ProviderRun],
        tm_auth: TmAuth,
        scrubber: Scrubber,
        *,
        hooked_credentials: str,
        checking: bool = False,
        notes: Sequence[modes.SummaryNote] = (),
    ) -> None:
        self.states = states
        self.tm_auth = tm_auth
        self.scrubber = scrubber
        #: A credentials hook is registered: the header says settings may come from it.
        self.hooked_credentials = hooked_credentials
        #: ``--tm-auth-check`` prints its own table instead of the summary.
        self.checking = checking
        #: What the modes add to each provider's summary line.
        self.notes = notes


class Startup:
    """Checks the run's settings as early as they are known; sets providers up on first need."""

    def __init__(self, config: pytest.Config, catalog: Catalog) -> None:
        self._config = config
        self._catalog = catalog
        self._lock = threading.Lock()
        self._values: Values | None = None
        self._run: Run | None = None
        self._error: ConfigError | None = None
        self._warned: set[str] = set()
        self.scrubber = Scrubber()
        self._redact = modes.redaction_starter(config, self.scrubber)
        self._reader = RunValues(config, list(catalog.settings.values()), self.scrubber)
        #: The publishing switches turned on (``xray_publish``, ``tm_auth_dry_run``).
        self.switches: frozenset[str] = frozenset()

    def configure(self) -> None:
        """At ``pytest_configure``: check what is known now; set up if a mode needs it now."""
        config = self._config
        if plugin_base.prints_help_only(config):
            return  # --help, --markers: no test runs, nothing to check or hide
        has_env_files = self._reader.find_env_files()
        warn_about_ini_secrets(config, list(self._catalog.settings.values()))
        self.switches = self._reader.switches_on()
        needed = (
            plugin_base.needed_at_start(config) or self._reader.actions_on() or bool(self.switches)
        )
        if has_env_files and not needed:
            # Checks that combine values (http to a remote host unless allowed, mixed
            # deployments) wait for the file; each value it cannot override is checked now.
            early = self._reader.early()
            check_transport(early, allow_http=True)
            self._warn_once(early)
            self._redact()
            return
        self._values = self._settled_values()
        if needed:
            self.setup()

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

    def values(self) -> Values:
        """Every setting's final value (sets the run up first if it is not yet)."""
        self.setup()
        assert self._values is not None
        return self._values

    def _build(self) -> Run:
        from pytest_tm_auth.core.accounts import Accounts
        from pytest_tm_auth.run.state import ProviderRun, PytestHooks

        config = self._config
        if self._values is None:
            self._values = self._settled_values()
        values = self._values
        hooks = PytestHooks(config)
        budgets = LazyBudgets(values, lambda name: _deployment(states, name))
        transport = transport_factory(values, budgets)
        accounts = Accounts()
        session_hook = config.hook.pytest_tm_auth_session
        count = modes.outcome_counter(config)
        vault = _vault(values)
        states = {
            name: ProviderRun(
                provider,
                values,
                hooks=hooks,
                transport=transport,
                scrubber=self.scrubber,
                session_hook=lambda p, s: session_hook(provider=p, session=s),
                accounts=accounts,
                on_first_use=self._redact,
                on_outcome=lambda: count(states),
                vault=vault,
            )
            for name, provider in self._catalog.providers.items()
        }
        tm_auth = TmAuth(states, values.text(ON_MISSING.name) or "skip")
        notes = [*modes.wire(config, values, states, self.scrubber, budgets), budgets.note]
        return Run(
            states,
            tm_auth,
            self.scrubber,
            hooked_credentials=hooks.credentials_where(),
            checking=values.flag(CHECK.name) and not hasattr(config, "workerinput"),
            notes=notes,
        )

    def _settled_values(self) -> Values:
        values = self._reader.settled(list(self._catalog.providers.values()), self._with_standin)
        if self.scrubber:
            self._redact()
        self._warn_once(values)
        return values

    def _with_standin(self, values: Values) -> Values:
        """``values`` pointed at a stand-in under ``--tm-auth-sandbox``."""
        if not values.flag(SANDBOX.name):
            return values
        return modes.with_sandbox(self._config, values)

    def _warn_once(self, values: Values) -> None:
        """TLS off, short secrets, ``--debug``: each said once, when first known."""
        if values.flag(INSECURE.name) and INSECURE.name not in self._warned:
            self._warned.add(INSECURE.name)
            from pytest_tm_auth.run.warnings import setting_place

            place = setting_place(values, INSECURE.name, ini_folder(self._config))
            warn(self._config, insecure_warning(values), place)
        warn_about_exposure(self._config, values, self._warned)


class LazyBudgets:
    """The run's rate budgets, built on first use (its module is not imported at start)."""

    def __init__(self, values: Values, deployment: Callable[[str], str | None]) -> None:
        self._values = values
        self._deployment = deployment
        self._budgets: Budgets | None = None
        self._lock = threading.Lock()

    def __call__(self) -> Budgets:
        with self._lock:
            if self._budgets is None:
                self._budgets = rate_budgets(self._values, self._deployment)
            return self._budgets

    def note(self, name: str) -> str:
        """``, requests waited 12.5 s in all for the rate budget``, when they waited."""
        return "" if self._budgets is None else self._budgets.note(name)


def _deployment(states: Mapping[str, ProviderRun], name: str) -> str | None:
    """The provider's deployment (``cloud``, ``datacenter``), if it is configured."""
    state = states.get(name)
    target = state.target if state is not None else None
    return target.deployment if target is not None else None


def _vault(values: Values) -> Vault | None:
    """What reads the secrets the keyring holds, if any setting comes from it."""
    if not values.pending():
        return None
    from pytest_tm_auth.run.stored import KeyringVault

    return KeyringVault()


def transport_factory(
    values: Values, budgets: Callable[[], Budgets] | None = None
) -> Callable[[], Transport]:
    """Build the transport on first use, so that requests is imported only when needed;
    its sessions take permits of ``budgets`` (by default, the settings' own)."""

    @functools.cache
    def transport() -> Transport:
        from pytest_tm_auth.http.session import Transport

        verify: bool | str = not values.flag(INSECURE.name)
        if verify:
            verify = values.text(CA_BUNDLE.name) or True
        return Transport(
            timeout=values.number(TIMEOUT.name),
            retries=int(values.number(RETRIES.name)),
            verify=verify,
            permits=rate_budgets(values) if budgets is None else budgets(),
        )

    return transport


def rate_budgets(
    values: Values, deployment: Callable[[str], str | None] = lambda name: None
) -> Budgets:
    """The run's rate budgets from ``--xray-rate-limit`` and the others; Xray Cloud's
    published limit when its setting is unset (``deployment`` names a provider's)."""
    from pytest_tm_auth.core.ratelimit import MIN_WAIT_BOUND, XRAY_CLOUD, Budgets, Rate

    rates = {}
    for service, setting in RATE_LIMITS.items():
        value = values.get(setting.name)
        rates[service] = setting.name, Rate(*value) if isinstance(value, tuple) else None

    def default(service: str) -> Rate | None:
        return Rate(*XRAY_CLOUD) if service == "xray" and deployment(service) == "cloud" else None

    timeout, retries = values.number(TIMEOUT.name), values.number(RETRIES.name)
    return Budgets(rates, bound=max(MIN_WAIT_BOUND, timeout * (retries + 1)), default=default)


class TmAuth:
    """The run's registry: any provider's token or session by name (the ``tm_auth`` fixture).

    Lookups log in on first use. A provider without credentials skips the asking test (or
    fails it under ``--tm-auth-on-missing=fail``); a failed login fails it with one message.
    """

    def __init__(self, states: Mapping[str, ProviderRun], on_missing: str) -> None:
        self._states = states
        self._on_missing = on_missing

    @property
    def names(self) -> list[str]:
        """The names of every provider of this run, built-in and added."""
        return list(self._states)

    def __contains__(self, name: object) -> bool:
        return name in self._states

    def provider(self, name: str) -> Provider:
        return self.state(name).provider

    def token(self, name: str) -> Token:
        """The provider's token; logs in on first use."""
        __tracebackhide__ = True
        state = self.state(name)
        state.used = True
        return state.token_for_test(self._on_missing)

    def session(self, name: str) -> ApiSession:
        """The provider's ``requests.Session``: base URL, auth, timeouts, TLS and retries set."""
        __tracebackhide__ = True
        self.token(name)
        return self.state(name).session()

    def target(self, name: str) -> Target:
        """Where the provider's token works: ``deployment``, site ``url`` and ``api_url``.

        For requests a test makes itself with ``xray_token``; logs in on first use like
        :meth:`token`, so the target is the one the token was issued for.
        """
        __tracebackhide__ = True
        self.token(name)
        target = self.state(name).target
        assert target is not None
        return target

    def state(self, name: str) -> ProviderRun:
        try:
            return self._states[name]
        except KeyError:
            known = ", ".join(self._states)
            raise KeyError(f"no tm-auth provider named {name!r} (known: {known})") from None

    def __repr__(self) -> str:
        return f"<TmAuth providers={self.names}>"
