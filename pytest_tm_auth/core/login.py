"""The login step: from a provider's settings to a token, through the team's hooks.

In order: ask the credentials hook (once per run), read the secrets the OS keyring holds
(only now, and only those no higher source set), stop if credentials are missing, skip
an account already refused, recall a remembered token, call the authenticate hook,
remember the token, tell the authenticated hook. Every collaborator is a small protocol
(hooks, HTTP, memory), so this runs the same under pytest and in a unit test with fakes.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol, TypeVar

from pytest_tm_auth.core.accounts import Accounts, SharesAccount
from pytest_tm_auth.core.cache import LOGGED_IN, REMEMBERED, Issued, Outcome
from pytest_tm_auth.core.configured import Configured, Vault
from pytest_tm_auth.core.errors import AuthError, TmAuthError
from pytest_tm_auth.core.provider import Login, Provider, Target
from pytest_tm_auth.core.token import learning

if TYPE_CHECKING:
    import requests

    from pytest_tm_auth.core.token import Token
    from pytest_tm_auth.settings.model import Values

_T = TypeVar("_T")


class Hooks(Protocol):
    """The team's hooks, as the login step calls them.

    A hook's refusal arrives as a :class:`TmAuthError`; ``stops_run`` are the exceptions
    that end the whole run (``pytest.exit``), which the step lets through; anything else a
    hook raises becomes the provider's :class:`AuthError`.
    """

    stops_run: tuple[type[BaseException], ...]

    def credentials(self, provider: Provider) -> Mapping[str, str | None] | None: ...

    def authenticate(self, login: Login) -> Token | None: ...

    def authenticated(self, provider: Provider, token: Token) -> None: ...


class Connector(Protocol):
    """The HTTP side of a login: a fresh session with the run's settings, errors worded."""

    def login_session(self, title: str, url: str) -> AbstractContextManager[requests.Session]:
        """A session for one login at ``url``; a network error in it becomes an AuthError."""
        ...

    def retries_of(self, http: requests.Session) -> str:
        """What the session's retries did, e.g. ``retried once (HTTP 429)``."""
        ...


class Memory(Protocol):
    """Remembered tokens (``--tm-auth-remember``); never raises."""

    def recall(self, provider: Provider, target: Target, values: Values) -> Token | None: ...

    def keep(self, provider: Provider, target: Target, values: Values, token: Token) -> None: ...


def _warn(message: str) -> None:
    warnings.warn(message, UserWarning, stacklevel=2)


class LoginStep:
    """One provider's login, as the token cache calls it (``step(renewal)``)."""

    def __init__(
        self,
        configured: Configured,
        hooks: Hooks,
        connector: Callable[[], Connector],
        *,
        learn: Callable[..., None],
        accounts: Accounts | None = None,
        memory: Memory | None = None,
        warn: Callable[[str], None] | None = None,
        vault: Vault | None = None,
    ) -> None:
        self.configured = configured
        self._hooks = hooks
        self._connector = connector
        self._learn = learn
        self._accounts = Accounts() if accounts is None else accounts
        self.memory = memory
        self._warn = warn if warn is not None else _warn
        self._vault = vault
        #: Login requests made (not recalls of a remembered token).
        self.logins = 0

    def __call__(self, renewal: bool) -> Issued:
        with learning(self._learn):  # a token is hidden as it is born: before hooks, checks
            return self._guarded(lambda: self._step(renewal))

    def before_login(self) -> Issued | None:
        """What a login does before its request (the xdist broker's part, in the controller):
        ask the credentials hook, stop if credentials are missing, recall a remembered token.
        """
        return self._guarded(self._before)

    def keep(self, token: Token) -> None:
        """Remember a token another process logged in for (``--tm-auth-remember``)."""
        configured = self.configured
        if self.memory is not None and configured.target is not None:
            self.memory.keep(configured.provider, configured.target, configured.values, token)

    def _before(self) -> Issued | None:
        configured = self.configured
        configured.ask(self._hooks, self._learn)
        configured.unlock(self._vault, self._learn)
        if configured.missing is not None:
            raise configured.missing
        target = configured.target
        assert target is not None
        if self.memory is not None:
            remembered = self.memory.recall(configured.provider, target, configured.values)
            if remembered is not None:
                return Issued(remembered, Outcome(REMEMBERED))
        return None

    def _guarded(self, step: Callable[[], _T]) -> _T:
        try:
            return step()
        except AuthError as failure:
            raise self.configured.attributed(failure) from None
        except TmAuthError:
            raise
        except self._hooks.stops_run:
            raise
        except Exception as exc:  # a team's hook or provider: remembered like any failure
            target = self.configured.target
            raise AuthError(
                self.configured.provider.title,
                target.url if target is not None else "(no URL yet)",
                f"a hook or provider raised {type(exc).__name__}: {exc}",
                fix="fix the hook, or raise pytest_tm_auth.AuthError with a message for users",
            ) from None

    def _step(self, renewal: bool) -> Issued:
        configured = self.configured
        configured.ask(self._hooks, self._learn)
        configured.unlock(self._vault, self._learn)
        if configured.missing is not None:
            raise configured.missing
        provider, target = configured.provider, configured.target
        assert target is not None
        if not isinstance(provider, SharesAccount):
            return self._try(target, recall=not renewal)
        key = provider.account(target, configured.values)
        with self._accounts.lock(key):
            refused = self._accounts.refusal(key)
            if refused is not None:
                raise not_tried(provider, target, refused)
            try:
                issued = self._try(target, recall=not renewal)
            except AuthError as exc:
                self._accounts.refused(key, exc)
                raise
            self._accounts.accepted(key)
            return issued

    def _try(self, target: Target, *, recall: bool) -> Issued:
        """Recall a remembered token, or call the authenticate hook."""
        provider, values = self.configured.provider, self.configured.values
        if recall and self.memory is not None:
            remembered = self.memory.recall(provider, target, values)
            if remembered is not None:
                return Issued(remembered, Outcome(REMEMBERED))
        self.logins += 1
        connector = self._connector()
        started = time.perf_counter()
        moved: list[Target] = []
        with connector.login_session(provider.title, target.url) as http:
            token = self._hooks.authenticate(Login(provider, target, values, http, moved.append))
            retries = connector.retries_of(http)
        if token is None:
            raise AuthError(provider.title, target.url, "no authenticate hook returned a token")
        self._learn(str(token.value))  # a token made before the login (a hook's own)
        self._check(token, target)
        outcome = Outcome(LOGGED_IN, time.perf_counter() - started, retries)
        if moved:  # found at login: a remembered token could not say where it works
            self.configured.adopt(moved[-1])
        elif self.memory is not None:
            self.memory.keep(provider, target, values, token)
        self._hooks.authenticated(provider, token)
        return Issued(token, outcome)

    def _check(self, token: Token, target: Target) -> None:
        """Refuse a token that cannot be sent or has lapsed; warn of an unreadable expiry."""
        from pytest_tm_auth.core.token import jwt_exp_problem

        title = self.configured.provider.title
        unsendable = token.unsendable()
        if unsendable:
            raise AuthError(
                title,
                target.url,
                f"the token holds {unsendable}, which cannot be sent in an HTTP header",
                fix="the service or a hook answered something that is not a token; "
                "check the URL setting",
            )
        if token.has_expired():
            raise AuthError(
                title,
                target.url,
                "the token had already expired when it arrived",
                fix="check the clocks of this machine and of the service",
            )
        problem = "" if token.static else jwt_exp_problem(str(token.value))
        if problem:
            self._warn(f"{title}: the token's expiry is unknown ({problem}); it is not renewed")


def not_tried(provider: Provider, target: Target, refused: AuthError) -> AuthError:
    """The failure of a provider whose account another provider just had refused."""
    return refused.derived(
        provider=provider.title,
        url=target.url,
        problem=f"not tried: the same credentials were just refused ({refused.problem})",
    )
