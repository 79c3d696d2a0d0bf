"""One provider in this run: its settings, token cache and session, and what tests saw;
the team's hooks as its login calls them (:class:`PytestHooks`); and what the user sees of
it, its line in the report header and in the terminal summary. Only provider, deployment,
URL and the source of each credential are shown; identifiers are masked and secrets never
appear.

A login's own output is scrubbed: what ``http.client``'s debug prints or a handler logs. A
login inside a test is captured by pytest and scrubbed with the test's report; one outside
any test (the xdist controller's, ``--tm-auth-check``'s) writes straight to the terminal.
So every login runs with stdout and stderr passed through the scrubber, and the root
logger's handlers filtered by it, wherever it runs (:mod:`.streams`).

A configured credential that expires soon is said in the header, the check table and a
warning at the first login: a provider tells when a credential it was given lapses with an
optional ``credential_expiry(values) -> float | None`` (Zephyr Scale Cloud reads its token's
JWT ``exp``, best effort). Within :data:`SOON` the header says when, and the first login warns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_tm_auth.core.accounts import Accounts
from pytest_tm_auth.core.cache import FAILED, LOGGED_IN, Issued, Outcome, TokenCache
from pytest_tm_auth.core.errors import TmAuthError
from pytest_tm_auth.core.login_step import (
    HOOK,
    Configured,
    Connector,
    Hooks,
    LoginEnvironment,
    LoginStep,
    Vault,
)
from pytest_tm_auth.core.scrub import Scrubber
from pytest_tm_auth.core.token import time_left, utc_time
from pytest_tm_auth.core.values import Source, mask
from pytest_tm_auth.run.plugin_base import fail_test, from_hook
from pytest_tm_auth.run.streams import scrubbed_output

if TYPE_CHECKING:
    import requests

    from pytest_tm_auth.core.errors import MissingCredentials
    from pytest_tm_auth.core.provider import Login, Provider, Target
    from pytest_tm_auth.core.token import Token
    from pytest_tm_auth.core.values import Values
    from pytest_tm_auth.http.session import ApiSession, Transport


#: Called with each provider's new session (``pytest_tm_auth_session``).
SessionHook = Callable[["Provider", "requests.Session"], None]


class PytestHooks:
    """Implements :class:`~pytest_tm_auth.core.login_step.Hooks` with the run's registered hooks."""

    #: A hook's ``pytest.exit`` ends the run: the login step lets it through.
    stops_run: tuple[type[BaseException], ...] = (pytest.exit.Exception,)

    def __init__(self, config: pytest.Config) -> None:
        self._config = config

    def credentials(self, provider: Provider) -> Mapping[str, str | None] | None:
        hook = self._config.hook.pytest_tm_auth_credentials
        supplied: Mapping[str, str | None] | None = from_hook(
            lambda: hook(provider=provider, config=self._config)
        )
        return supplied

    def authenticate(self, login: Login) -> Token | None:
        hook = self._config.hook.pytest_tm_auth_authenticate
        token: Token | None = from_hook(lambda: hook(login=login))
        return token

    def authenticated(self, provider: Provider, token: Token) -> None:
        hook = self._config.hook.pytest_tm_auth_authenticated
        from_hook(lambda: hook(provider=provider, token=token))

    def credentials_where(self) -> str:
        """Where the credentials hooks are implemented: ``conftest.py``, a plugin's name."""
        places = []
        for impl in reversed(self._config.hook.pytest_tm_auth_credentials.get_hookimpls()):
            file = getattr(impl.plugin, "__file__", None)
            if isinstance(file, str):
                path = Path(file)
                root = self._config.rootpath
                places.append(str(path.relative_to(root)) if path.is_relative_to(root) else file)
            else:
                places.append(impl.plugin_name)
        return ", ".join(dict.fromkeys(places))


class ProviderRun:
    """A provider's login (once per run), its session (once per process), its usage."""

    def __init__(
        self,
        provider: Provider,
        values: Values,
        *,
        hooks: Hooks,
        transport: Callable[[], Transport],
        scrubber: Scrubber,
        session_hook: SessionHook,
        accounts: Accounts | None = None,
        on_first_use: Callable[[], None] = lambda: None,
        on_outcome: Callable[[], None] = lambda: None,
        vault: Vault | None = None,
    ) -> None:
        self.provider = provider
        self.configured = Configured(provider, values, getattr(hooks, "credentials_where", str))
        connector: Callable[[], Connector] = transport
        environment = LoginEnvironment(
            hooks,
            connector,
            learn=scrubber.add,
            accounts=accounts,
            warn=lambda message: _warn_token_expiry(message, credentials_place(self)),
            vault=vault,
        )
        self.login = LoginStep(self.configured, environment)
        self._scrubber = scrubber
        self.cache = TokenCache(
            self.log_in,
            learn=scrubber.add,
            on_first_use=on_first_use,
        )
        self._transport = transport
        self._session_hook = session_hook
        #: Called before this provider first ends a test, so that the run counts such tests.
        self._on_outcome = on_outcome
        self._session: ApiSession | None = None
        self._lock = threading.Lock()
        #: A test asked for this provider.
        self.used = False
        #: Tests skipped, or failed, because of this provider's missing credentials or failure.
        self.skipped = self.failed_tests = 0
        #: An xdist worker's own outcome, in a controller that shared nothing with it.
        self.reported: Outcome | None = None

    @property
    def name(self) -> str:
        return self.provider.name

    def log_in(self, renewal: bool) -> Issued:
        """The one login path, here or for every xdist worker (the broker's lease holder):
        the login step, its own output scrubbed (:func:`scrubbed_output`), the expiry warning.
        """
        with scrubbed_output(self._scrubber):
            issued = self.login(renewal)
        warn_if_expiring(
            self.provider, self.values, lambda: credentials_place(self), renewal
        )  # a Zephyr JWT
        return issued

    @property
    def values(self) -> Values:
        return self.configured.values

    @property
    def target(self) -> Target | None:
        return self.configured.target

    @property
    def missing(self) -> MissingCredentials | None:
        return self.configured.missing

    @property
    def failure(self) -> TmAuthError | None:
        return self.cache.failure

    @property
    def outcome(self) -> Outcome | None:
        return self.cache.outcome or self.reported

    @property
    def renewals(self) -> int:
        return self.cache.renewals

    def token(self) -> Token:
        """The current token: logs in on first call; raises the remembered failure after."""
        return self.cache.current()

    def token_for_test(self, on_missing: str) -> Token:
        """:meth:`token` for a test: a failure ends it (see :func:`~.outcomes.fail_test`)."""
        __tracebackhide__ = True
        try:
            return self.cache.current()
        except TmAuthError as exc:  # hooks may raise the base class too
            problem = exc
        # Outside the except block, so the report shows one message, not an exception chain.
        self._on_outcome()
        fail_test(problem, scrub=self._scrubber.scrub, on_missing=on_missing, provider=self.name)

    def peek(self) -> Token | None:
        return self.cache.peek()

    def scrub(self, text: str) -> str:
        return self._scrubber.scrub(text)

    def session(self) -> ApiSession:
        """The provider's session, built once; logs in first so failures surface here."""
        session = self._session
        if session is not None:
            return session
        with self._lock:
            if self._session is None:
                from pytest_tm_auth.http.session import TokenAuth

                self.token()
                target = self.target
                assert target is not None
                session = self._transport().session(target.api_url, service=self.name)
                session.auth = TokenAuth(SessionTokens(self), origin=target.api_url)
                self._session_hook(self.provider, session)
                self._session = session
            return self._session

    def count(self, *, skipped: bool) -> None:
        """A test was skipped (or failed) because of this provider."""
        if skipped:
            self.skipped += 1
        else:
            self.failed_tests += 1

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


class SessionTokens:
    """The token cache as a test's session renews through it (``TokenAuth``): a failure to
    renew ends the test with the provider's message, not a traceback from inside requests."""

    def __init__(self, state: ProviderRun) -> None:
        self._state = state

    def current(self) -> Token:
        __tracebackhide__ = True
        return self._state.token_for_test("fail")

    def renew(self, refused: str) -> Token | None:
        __tracebackhide__ = True
        try:
            return self._state.cache.renew(refused)
        except TmAuthError as exc:  # the renewal budget is spent: the request fails
            problem = exc
        fail_test(problem, scrub=self._state.scrub, on_missing="fail", provider=self._state.name)

    def futile(self, header: str) -> None:
        self._state.cache.futile(header)


def credentials_place(state: ProviderRun) -> tuple[str, int]:
    """Where the provider's credentials were set: where its warnings point."""
    from pytest_tm_auth.run.warnings import setting_place

    target = state.target
    names = target.credentials if target is not None else ()
    secret = [name for name in names if state.values.setting(name).secret]
    first = (secret or list(names) or [state.provider.settings[0].name])[0]
    return setting_place(state.values, first)


def _warn_token_expiry(message: str, place: tuple[str, int]) -> None:
    """The login step's ``warn``: the warning classes are loaded when one is due."""
    from pytest_tm_auth.run.warnings import TokenExpiryWarning, warn_in_login

    warn_in_login(TokenExpiryWarning(message), place)


SOON = 14 * 86400.0


def expiry_note(expires_at: float | None, now: float | None = None) -> str:
    """``token expires 2026-12-10 14:02 UTC`` within 14 days, ``token expired ...`` after."""
    if expires_at is None:
        return ""
    now = time.time() if now is None else now
    if expires_at <= now:
        return f"token expired {utc_time(expires_at)}"
    if expires_at - now <= SOON:
        return f"token expires {utc_time(expires_at)}"
    return ""


def credential_expiry(provider: Provider, values: Values) -> float | None:
    """When a configured credential lapses, if its provider can tell, else ``None``."""
    told = getattr(provider, "credential_expiry", None)
    return told(values) if callable(told) else None


def soon_expiry(provider: Provider, values: Values) -> float | None:
    """:func:`credential_expiry`, only when it is within 14 days (or past)."""
    expires_at = credential_expiry(provider, values)
    return expires_at if expiry_note(expires_at) else None


def warn_if_expiring(
    provider: Provider,
    values: Values,
    place: Callable[[], tuple[str, int]],
    renewal: bool = False,
) -> None:
    """An :class:`ExpiringCredentialWarning` when the credential lapses within 14 days
    (at the first login, not at renewals), pointing at ``place``: where it was set."""
    if renewal:
        return
    title = provider.title
    expires_at = credential_expiry(provider, values)
    note = expiry_note(expires_at)
    if note and expires_at is not None and expires_at > time.time():
        from pytest_tm_auth.run.warnings import ExpiringCredentialWarning, warn_in_login

        warning = ExpiringCredentialWarning(
            f"{title}: the configured {note} (in {time_left(expires_at - time.time())}): "
            "make a new one before then"
        )
        warn_in_login(warning, place())


def header_line(state: ProviderRun, hooked: str = "") -> str:
    """``xray cloud https://xray.cloud.getxray.app (client id 32A2…E8E7 from env, ...)``.

    ``hooked`` says where a credentials hook is implemented (``conftest.py``), if any.
    """
    name = state.name
    target = state.target
    if target is None:
        if hooked:
            return f"{name} credentials from {Source(HOOK, hooked)} on first use"
        return f"{name} not configured"
    parts = []
    for setting_name in target.credentials:
        setting = state.values.setting(setting_name)
        value = state.values.text(setting_name) or ""
        shown = "" if setting.secret else f" {mask(value)}"
        source = state.values.source(setting_name)
        came = str(source) if source.kind == HOOK else source.kind
        parts.append(f"{setting.title}{shown} from {came}")
    note = expiry_note(credential_expiry(state.provider, state.values))
    if note:
        parts.append(note)
    if hooked and not state.configured.supplied:
        parts.append(f"or from {Source(HOOK, hooked)} on first use")
    sources = f" ({', '.join(parts)})" if parts else ""
    return f"{name} {target.deployment} {target.url}{sources}"


def summary_line(state: ProviderRun) -> str | None:
    """The provider's line in the terminal summary, or ``None`` when the run never used it."""
    name = state.name
    if state.skipped:
        reason = str(state.missing or state.failure or "credentials not set")
        return f"{name}: skipped {state.skipped} test{'s' * (state.skipped != 1)}: {reason}"
    failure = state.failure
    if failure is not None and state.outcome is not None and state.outcome.how == FAILED:
        return f"{name}: failed: {failure}"
    if state.failed_tests and state.missing is not None:
        count = state.failed_tests
        return f"{name}: failed {count} test{'s' * (count != 1)}: {state.missing}"
    outcome = state.outcome
    if outcome is None:
        return None
    token = state.peek()
    expiry = token.describe_expiry() if token is not None else ""
    if outcome.how == LOGGED_IN:
        line = f"{name}: authenticated in {outcome.seconds:.2f} s"
    else:
        line = f"{name}: {outcome.how}"
    target = state.target
    if target is not None and target.deployment.endswith(" via gateway"):
        line += " via gateway"
    if expiry:
        line += f" ({expiry})"
    if outcome.retries:
        line += f", {outcome.retries}"
    if state.renewals:
        line += f", renewed {state.renewals} time{'s' * (state.renewals != 1)}"
    return line
