"""The run's providers: one login each, on first use, shared by every test that asks.

A :class:`ProviderState` holds one provider's token, or the failure that every later
request for it gets again (a failed login is never retried within a run). The fast path,
a token already held, takes no lock.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

import pytest

from pytest_tm_auth.errors import AuthError, MissingCredentials, TmAuthError
from pytest_tm_auth.provider import Login, Provider, Target
from pytest_tm_auth.scrub import Scrubber
from pytest_tm_auth.settings import Source, Values

if TYPE_CHECKING:
    from pytest_tm_auth.http import ApiSession, Transport
    from pytest_tm_auth.store import TokenMemory
    from pytest_tm_auth.token import Token


LOGGED_IN = "logged in"
REMEMBERED = "reused remembered token"
FAILED = "failed"


class Outcome(NamedTuple):
    """How a provider's token was obtained, for the terminal summary.

    ``how`` is one of :data:`LOGGED_IN`, :data:`REMEMBERED`, :data:`FAILED`, or another
    phrase a mode sets (xdist workers: ``shared from the controller``).
    """

    how: str
    seconds: float = 0.0
    #: What retries the login needed, e.g. ``retried once (HTTP 429), waited 1.0 s``.
    retries: str = ""


class Accounts:
    """The credentials this run saw accepted or refused, shared by all its providers.

    Xray, Zephyr Scale and Jira Data Center log in with one Jira account, and each refused
    try brings that account closer to Jira's CAPTCHA lock: once refused (401, or Jira's
    denial), an account is not tried again by another provider; once accepted, a later
    refusal by one service (an unlicensed app) does not block the others. One lock per
    account makes the check and the try one step, also across threads.
    """

    def __init__(self) -> None:
        self._seen: dict[str, AuthError | None] = {}
        self._locks: dict[str, threading.RLock] = {}
        self._guard = threading.Lock()

    def lock(self, key: str) -> threading.RLock:
        with self._guard:
            return self._locks.setdefault(key, threading.RLock())

    def refusal(self, key: str) -> AuthError | None:
        return self._seen.get(key)

    def accepted(self, key: str) -> None:
        self._seen[key] = None

    def refused(self, key: str, error: AuthError) -> None:
        if key not in self._seen and error.credentials_refused:
            self._seen[key] = error


class ProviderState:
    """One provider in this run: its settings, target, and its token or failure."""

    def __init__(
        self,
        provider: Provider,
        values: Values,
        config: pytest.Config,
        transport: Callable[[], Transport],
        scrubber: Scrubber,
        *,
        accounts: Accounts | None = None,
        on_first_use: Callable[[], None] | None = None,
    ) -> None:
        self.provider = provider
        #: Called before the first token or failure: from then on output must be redacted.
        self._on_first_use = on_first_use
        self._accounts = Accounts() if accounts is None else accounts
        self.values = values
        self.config = config
        self._transport = transport
        self._scrubber = scrubber
        self._lock = threading.RLock()
        self._token: Token | None = None
        self._renew_ahead = False
        self._failure: TmAuthError | None = None
        self._futile: set[str] = set()
        self._session: ApiSession | None = None
        self.outcome: Outcome | None = None
        self.logins = 0
        self._asked_hook = False
        self.renewals = 0
        #: Tests skipped, or failed, because of this provider's missing credentials or failure.
        self.skipped = 0
        self.failed_tests = 0
        #: A test asked for this provider (under xdist, the controller logs in regardless).
        self.used = False
        self.target: Target | None = None
        self.missing: MissingCredentials | None = None
        #: Remembered tokens (``--tm-auth-remember``): asked before the first login.
        self.memory: TokenMemory | None = None
        try:
            self.target = provider.target(values)
        except MissingCredentials as exc:
            self.missing = exc

    @property
    def name(self) -> str:
        return self.provider.name

    @property
    def failure(self) -> TmAuthError | None:
        return self._failure

    def token(self) -> Token:
        """The current token: logs in on first call; raises the remembered failure after."""
        token = self._token
        if token is not None and not (self._renew_ahead and token.needs_renewal()):
            return token
        with self._lock:
            self._first_use()
            if self._failure is not None:
                raise self._failure
            token = self._token
            if token is None or (self._renew_ahead and token.needs_renewal()):
                renewal = token is not None
                token = self._login()
                if renewal:
                    self.renewals += 1
            return token

    def renew(self, refused: str) -> Token | None:
        """A fresh token after the server refused the header ``refused``, or ``None``.

        Several threads refused at once log in only once: a later caller finds the token
        already replaced. A failed renewal is remembered like a failed login. A header that
        logging in again could not replace (static credentials), or whose replacement was
        refused at once (:meth:`futile`), is never renewed again: no login per request.
        """
        with self._lock:
            current = self._token
            if self._failure is not None or refused in self._futile:
                return None
            if current is not None and current.header != refused:
                return current
            if current is not None and current.static:
                # A PAT, an API token, a password: logging in again cannot replace it, and
                # one more refused try can lock a Jira account.
                return None
            try:
                fresh = self._login()
            except TmAuthError:
                return None
            if fresh.header == refused:
                self._futile.add(refused)
                return None
            self.renewals += 1
            return fresh

    def _credentials_key(self) -> str:
        """Site and credential values, hashed: equal for providers sharing one account."""
        target = self.target
        if target is None:
            return ""
        import hashlib  # here: importing it costs milliseconds on every run

        shown = [target.url, *(self.values.text(name) or "" for name in target.credentials)]
        return hashlib.sha256(json.dumps(shown).encode()).hexdigest()

    def scrub(self, text: str) -> str:
        """``text`` with every secret this provider knows hidden."""
        return self._scrubber.scrub(text)

    def futile(self, header: str) -> None:
        """A freshly renewed ``header`` was refused at once: renewing it again cannot help."""
        with self._lock:
            self._futile.add(header)

    def _first_use(self) -> None:
        if self._on_first_use is not None:
            self._on_first_use()

    def peek(self) -> Token | None:
        """The token held now, without logging in."""
        return self._token

    def seed(self, token: Token, how: str) -> None:
        """Use a token obtained elsewhere (remembered, or shared by the xdist controller)."""
        with self._lock:
            self._first_use()
            self._accept(token, Outcome(how))

    def fail_with(self, failure: TmAuthError) -> None:
        """Adopt a failure found elsewhere (by the xdist controller), without trying again."""
        with self._lock:
            self._failure = failure

    def session(self) -> ApiSession:
        """The provider's session, built once; logs in first so failures surface here."""
        session = self._session
        if session is not None:
            return session
        with self._lock:
            if self._session is None:
                from pytest_tm_auth.http import TokenAuth

                self.token()
                assert self.target is not None
                session = self._transport().session(self.target.api_url)
                session.auth = TokenAuth(
                    self._token_for_request, self.renew, self.futile, origin=self.target.api_url
                )
                self.config.hook.pytest_tm_auth_session(provider=self.provider, session=session)
                self._session = session
            return self._session

    def _token_for_request(self) -> Token:
        """The token for a session call; a renewal that fails ends the test with its message."""
        __tracebackhide__ = True
        try:
            return self.token()
        except TmAuthError as exc:
            problem = exc
        pytest.fail(self._scrubber.scrub(str(problem)), pytrace=False)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()

    def _login(self) -> Token:
        """Call the credentials and authenticate hooks; remember a failure for the run."""
        try:
            return self._login_once()
        except TmAuthError as exc:
            self._failure = exc
        except pytest.exit.Exception:  # a hook ends the run: let it
            raise
        except pytest.skip.Exception as exc:  # a hook skipped: the same for every test
            self._failure = MissingCredentials(str(exc.msg))
        except pytest.fail.Exception as exc:  # a hook failed: never tried again either
            self._failure = TmAuthError(str(exc.msg))
        except Exception as exc:  # a team's hook or provider: remembered like any failure
            where = self.target.url if self.target is not None else "(no URL yet)"
            self._failure = AuthError(
                self.provider.title,
                where,
                f"a hook or provider raised {type(exc).__name__}: {exc}",
                fix="fix the hook, or raise pytest_tm_auth.AuthError with a message for users",
            )
        if not isinstance(self._failure, MissingCredentials):
            self.outcome = Outcome(FAILED)
        raise self._failure

    def _login_once(self) -> Token:
        """Ask the credentials hook (once), then log in, unless the account was refused."""
        hook = self.config.hook
        if not self._asked_hook:  # at most once per run, also after a remembered token
            self._asked_hook = True
            supplied = hook.pytest_tm_auth_credentials(provider=self.provider, config=self.config)
            if supplied:
                source = Source("hook", "pytest_tm_auth_credentials")
                self.values = self.values.overridden(supplied, source)
                self._scrubber.add(*self.values.secrets())
                self.target, self.missing = self.provider.target(self.values), None
        if self.missing is not None:
            raise self.missing
        assert self.target is not None
        key = self._credentials_key()
        with self._accounts.lock(key):
            refused = self._accounts.refusal(key)
            if refused is not None:
                raise AuthError(
                    self.provider.title,
                    self.target.url,
                    f"not tried: the same credentials were just refused ({refused.problem})",
                    fix=refused.fix,
                    status=refused.status,
                )
            try:
                token = self._try_login()
            except AuthError as exc:
                self._accounts.refused(key, exc)
                raise
            self._accounts.accepted(key)
            return token

    def _try_login(self) -> Token:
        """Recall a remembered token, or call the authenticate hook."""
        import requests

        from pytest_tm_auth.diagnose import explain_exception

        assert self.target is not None
        hook = self.config.hook
        if self._token is None and self.memory is not None:
            remembered = self.memory.recall(self.provider, self.target, self.values)
            if remembered is not None:
                self._accept(remembered, Outcome(REMEMBERED))
                return remembered
        self.logins += 1
        transport = self._transport()
        started = time.perf_counter()
        http = transport.session(login=True)
        login = Login(self.provider, self.target, self.values, http)
        try:
            token: Token | None = hook.pytest_tm_auth_authenticate(login=login)
        except (requests.RequestException, UnicodeError) as error:
            raise explain_exception(self.provider.title, self.target.url, error) from None
        finally:
            login.http.close()
        if token is None:
            raise AuthError(
                self.provider.title, self.target.url, "no authenticate hook returned a token"
            )
        seconds = time.perf_counter() - started
        self._accept(token, Outcome(LOGGED_IN, seconds, http.retries.describe()))
        if self.memory is not None:
            self.memory.keep(self.provider, self.target, self.values, token)
        hook.pytest_tm_auth_authenticated(provider=self.provider, token=token)
        return token

    def _accept(self, token: Token, outcome: Outcome) -> None:
        self._scrubber.add(token.value)
        self._token = token
        self._renew_ahead = token.expires_at is not None and not token.needs_renewal()
        self._failure = None
        self.outcome = outcome


class TmAuth:
    """The run's registry: any provider's token or session by name (the ``tm_auth`` fixture).

    Lookups log in on first use. A provider without credentials skips the asking test (or
    fails it under ``--tm-auth-on-missing=fail``); a failed login fails it with one message.
    """

    def __init__(
        self, states: dict[str, ProviderState], on_missing: str, scrubber: Scrubber
    ) -> None:
        self._states = states
        self._on_missing = on_missing
        self._scrub = scrubber.scrub

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
        try:
            return state.token()
        except TmAuthError as exc:  # hooks may raise the base class too
            problem = exc
        # Outside the except block, so the report shows one message, not an exception chain.
        message = self._scrub(str(problem))
        if isinstance(problem, MissingCredentials) and self._on_missing != "fail":
            pytest.skip(message)
        pytest.fail(message, pytrace=False)

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

    def state(self, name: str) -> ProviderState:
        try:
            return self._states[name]
        except KeyError:
            known = ", ".join(self._states)
            raise KeyError(f"no tm-auth provider named {name!r} (known: {known})") from None

    def __repr__(self) -> str:
        return f"<TmAuth providers={self.names}>"
