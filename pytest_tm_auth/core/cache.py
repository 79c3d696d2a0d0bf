"""One provider's token for the run: logged in to on first use, renewed, or failed for good.

The cache owns the renewal policy and the remembered failure, and is the small interface
the HTTP auth renews through (``current``, ``renew``, ``futile``). The fast path, a token
already held, takes no lock.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Final

from pytest_tm_auth.core.errors import MissingCredentials, RenewalsRefused, TmAuthError
from pytest_tm_auth.core.token import Token
from pytest_tm_auth.core.values import Record

#: Renewals after a refusal that one provider may make within :data:`RENEWAL_WINDOW`
#: seconds: a service that accepts each token once would otherwise cost a login per request.
RENEWAL_LIMIT = 3
RENEWAL_WINDOW = 600.0

LOGGED_IN = "logged in"
REMEMBERED = "reused remembered token"
FAILED = "failed"


class Outcome(Record):
    """How the token was obtained, for the terminal summary.

    ``how`` is one of :data:`LOGGED_IN`, :data:`REMEMBERED`, :data:`FAILED`, or another
    phrase a mode sets (xdist workers: ``shared from the controller``); ``retries`` what
    retries the login needed, e.g. ``retried once (HTTP 429), waited 1.0 s``.
    """

    __slots__ = ("how", "seconds", "retries")  # noqa: RUF023  # the fields' order

    how: Final[str]
    seconds: Final[float]
    retries: Final[str]

    def __init__(self, how: str, seconds: float = 0.0, retries: str = "") -> None:
        self.how = how
        self.seconds = seconds
        self.retries = retries


class Issued(Record):
    """What one login step returns."""

    __slots__ = ("token", "outcome")  # noqa: RUF023  # the fields' order

    token: Final[Token]
    outcome: Final[Outcome]

    def __init__(self, token: Token, outcome: Outcome) -> None:
        self.token = token
        self.outcome = outcome


#: The login step: ``renewal`` is true when a token is being replaced.
LoginStep = Callable[[bool], Issued]


def renewals_refused(provider: str) -> RenewalsRefused:
    """The one line said when :data:`RENEWAL_LIMIT` renewals within :data:`RENEWAL_WINDOW`
    were all refused."""
    minutes = f"{RENEWAL_WINDOW / 60:g} minutes"
    return RenewalsRefused(
        f"{provider}: the service keeps refusing fresh tokens: it refused "
        f"{RENEWAL_LIMIT} renewed tokens within {minutes}, so no more logins are made "
        "for it for now — the service may accept each token only once, or something "
        "between (a proxy, a gateway) may alter the Authorization header"
    )


def _nothing() -> None:
    return None


def _ignore(*_secrets: str) -> None:
    return None


class TokenCache:
    """The token, or the failure every later request gets again (a login is never retried).

    ``login`` is the login step; ``learn`` is told the value of every token held (the
    scrubber's ``add``, to hide it in output); ``on_first_use`` runs before the first token
    or failure is handed out.
    """

    def __init__(
        self,
        login: LoginStep,
        *,
        learn: Callable[..., None] = _ignore,
        on_first_use: Callable[[], None] = _nothing,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._login = login
        self._clock = clock
        self._renewed_at: deque[float] = deque()
        self._learn = learn
        self._on_first_use = on_first_use
        self._lock = threading.RLock()
        self._token: Token | None = None
        self._renew_ahead = False
        self._failure: TmAuthError | None = None
        self._futile: set[str] = set()
        self.outcome: Outcome | None = None
        self.renewals = 0

    @property
    def failure(self) -> TmAuthError | None:
        return self._failure

    def peek(self) -> Token | None:
        """The token held now, without logging in."""
        return self._token

    def current(self) -> Token:
        """The current token: logs in on first call, renews one about to lapse; raises the
        remembered failure after a failed login."""
        token = self._token
        if token is not None and not (self._renew_ahead and token.needs_renewal()):
            return token
        with self._lock:
            self._on_first_use()
            if self._failure is not None:
                raise self._failure
            token = self._token
            if token is None:
                return self._log_in(renewal=False)
            if self._renew_ahead and token.needs_renewal():
                token = self._log_in(renewal=True)
                self.renewals += 1
            return token

    def renew(self, refused: str) -> Token | None:
        """A fresh token after the server refused the header ``refused``, or ``None``.

        Several threads refused at once log in only once: a later caller finds the token
        already replaced. A failed renewal is remembered like a failed login. A header that
        logging in again could not replace (static credentials), or whose replacement was
        refused at once (:meth:`futile`), is never renewed again: no login per request.
        Past :data:`RENEWAL_LIMIT` renewals within :data:`RENEWAL_WINDOW`, raises
        :class:`RenewalsRefused` instead of logging in again (under xdist the broker also
        holds one budget for the whole run, and a worker's renewal can be refused there).
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
            self.spend_renewal(current)
            try:
                fresh = self._log_in(renewal=True)
            except RenewalsRefused:
                raise  # the run's budget (the broker's), not this login, said no
            except TmAuthError:
                return None
            if fresh.header == refused:
                self._futile.add(refused)
                return None
            self.renewals += 1
            return fresh

    def spend_renewal(self, refused: Token | None) -> None:
        """Count one renewal against the budget, or raise when it is spent."""
        now = self._clock()
        while self._renewed_at and now - self._renewed_at[0] >= RENEWAL_WINDOW:
            self._renewed_at.popleft()
        if len(self._renewed_at) >= RENEWAL_LIMIT:
            raise renewals_refused(refused.provider if refused is not None else "the provider")
        self._renewed_at.append(now)

    def futile(self, header: str) -> None:
        """A freshly renewed ``header`` was refused at once: renewing it again cannot help."""
        with self._lock:
            self._futile.add(header)

    def seed(self, token: Token, how: str | Outcome, *, renewal: bool = False) -> None:
        """Use a token obtained elsewhere (an xdist worker's login, through the broker)."""
        with self._lock:
            self._on_first_use()
            self._accept(Issued(token, how if isinstance(how, Outcome) else Outcome(how)))
            if renewal:
                self.renewals += 1

    def fail_with(self, failure: TmAuthError, *, failed: bool = False) -> None:
        """Adopt a failure found elsewhere (through the xdist broker), without trying again.

        ``failed``: a login request failed (the summary says so), not missing credentials.
        """
        with self._lock:
            self._failure = failure
            if failed:
                self.outcome = Outcome(FAILED)

    def delegate(self, login: LoginStep) -> None:
        """Log in through ``login`` from now on (an xdist worker asks the broker)."""
        with self._lock:
            self._login = login

    def _log_in(self, *, renewal: bool) -> Token:
        try:
            issued = self._login(renewal)
        except RenewalsRefused:
            raise  # not a failed login: the budget comes back as its window moves on
        except TmAuthError as exc:
            self._failure = exc
            if not isinstance(exc, MissingCredentials):
                self.outcome = Outcome(FAILED)
            raise
        self._accept(issued)
        return issued.token

    def _accept(self, issued: Issued) -> None:
        token = issued.token
        self._learn(token.value)
        self._token = token
        self._renew_ahead = token.expires_at is not None and not token.needs_renewal()
        self._failure = None
        self.outcome = issued.outcome
