"""One provider in this run: its settings, token cache and session, and what tests saw."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from pytest_tm_auth.core.accounts import Accounts
from pytest_tm_auth.core.cache import Issued, Outcome, TokenCache
from pytest_tm_auth.core.configured import Configured, Vault
from pytest_tm_auth.core.errors import TmAuthError
from pytest_tm_auth.core.login import Connector, Hooks, LoginStep
from pytest_tm_auth.core.scrub import Scrubber
from pytest_tm_auth.run.expiry import warn_if_expiring
from pytest_tm_auth.run.outcomes import fail_test

if TYPE_CHECKING:
    import requests

    from pytest_tm_auth.core.errors import MissingCredentials
    from pytest_tm_auth.core.provider import Provider, Target
    from pytest_tm_auth.core.token import Token
    from pytest_tm_auth.http.session import ApiSession, Transport
    from pytest_tm_auth.settings.model import Values

#: Called with each provider's new session (``pytest_tm_auth_session``).
SessionHook = Callable[["Provider", "requests.Session"], None]


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
        self.login = LoginStep(
            self.configured,
            hooks,
            connector,
            learn=scrubber.add,
            accounts=accounts,
            warn=lambda message: _warn_token_expiry(message, credentials_place(self)),
            vault=vault,
        )
        self._scrubber = scrubber
        self.cache = TokenCache(
            self.log_in,
            on_token=lambda token: scrubber.add(token.value),
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
        the login step, its own output scrubbed (see :mod:`.quiet`), the expiry warning."""
        from pytest_tm_auth.run.quiet import scrubbed_output

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

    @property
    def logins(self) -> int:
        """Login requests this process made for the provider (not remembered tokens)."""
        return self.login.logins

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
                from pytest_tm_auth.http.auth import TokenAuth

                self.token()
                target = self.target
                assert target is not None
                session = self._transport().session(target.api_url)
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
