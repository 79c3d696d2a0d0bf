"""The login step: from a provider's settings to a token, through the team's hooks.

In order: ask the credentials hook (once per run), read the secrets the OS keyring holds
(only now, and only those no higher source set), stop if credentials are missing, skip
an account already refused, recall a remembered token, call the authenticate hook,
remember the token, tell the authenticated hook. Every collaborator is a small protocol
(hooks, HTTP, memory), gathered in one :class:`LoginEnvironment`, so this runs the same
under pytest and in a unit test with fakes.

A provider's settings and where they lead (:class:`Configured`) change at most once, by the
credentials hook. A login also says where that hook is implemented, and a refused login's
advice names the hook rather than the environment variables it overrode.
"""

from __future__ import annotations

import re
import time
import warnings
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol, TypeVar

from pytest_tm_auth.core.accounts import Accounts, SharesAccount
from pytest_tm_auth.core.cache import LOGGED_IN, REMEMBERED, Issued, Outcome
from pytest_tm_auth.core.errors import AuthError, MissingCredentials, TmAuthError
from pytest_tm_auth.core.provider import Login, Provider, Target
from pytest_tm_auth.core.token import learning

if TYPE_CHECKING:
    import requests

    from pytest_tm_auth.core.token import Token
    from pytest_tm_auth.core.values import Values

_T = TypeVar("_T")


class CredentialsHook(Protocol):
    """The one hook :class:`Configured` asks (see :class:`Hooks`)."""

    def credentials(self, provider: Provider) -> Mapping[str, str | None] | None: ...


#: The kind of source of values a credentials hook supplied; its ``where`` is the hook's file,
#: and the source says itself ``the pytest_tm_auth_credentials hook (conftest.py)``.
HOOK = "hook"


class Vault(Protocol):
    """The secrets ``pytest-tm-auth login`` stored, read when a login first needs them."""

    def load(self, name: str, site: str) -> str | None:
        """The secret ``name`` stored for ``site``; ``None`` (after a warning) if unreadable."""
        ...


class Configured:
    """A provider's settings and where they lead: changed at most once, by the hook."""

    __slots__ = ("_asked", "hook_where", "missing", "provider", "supplied", "target", "values")

    def __init__(
        self, provider: Provider, values: Values, hook_where: Callable[[], str] = str
    ) -> None:
        self.provider = provider
        self.values = values
        #: Where the credentials hook is implemented (``conftest.py``), asked when it supplies.
        self.hook_where = hook_where
        self.target: Target | None = None
        self.missing: MissingCredentials | None = None
        #: What the credentials hook supplied (plain data: the xdist broker hands it on).
        self.supplied: dict[str, str | None] = {}
        self._asked = False
        try:
            self.target = provider.target(values)
        except MissingCredentials as exc:
            self.missing = exc

    def ask(self, hooks: CredentialsHook, learn: Callable[..., None]) -> None:
        """Ask the credentials hook once per run, also after a token shared by xdist."""
        if self._asked:
            return
        self.supply(hooks.credentials(self.provider), learn)

    def supply(self, supplied: Mapping[str, str | None] | None, learn: Callable[..., None]) -> None:
        """Use what a credentials hook supplied, here or in the xdist controller; the hook
        is not asked again."""
        self._asked = True
        if supplied:
            self.supplied = dict(supplied)
            self.values = self.values.overridden(supplied, HOOK, self.hook_where())
            learn(*self.values.secrets())
            self.target, self.missing = self.provider.target(self.values), None

    def unlock(self, vault: Vault | None, learn: Callable[..., None]) -> None:
        """Read the secrets the keyring holds (no vault: none can be read, so none is set)."""
        pending = self.values.pending()
        if not pending:
            return
        load = vault.load if vault is not None else lambda name, site: None
        # A secret is read for the site the provider logs in to now: a credentials hook may
        # have moved it from the site the secret was stored for, which then never gets it.
        now = {name: self.target.url if self.target else site for name, site in pending.items()}
        self.values = self.values.filled({name: load(name, site) for name, site in now.items()})
        learn(*self.values.secrets())
        try:
            self.target, self.missing = self.provider.target(self.values), None
        except MissingCredentials as exc:
            self.target, self.missing = None, exc

    def attributed(self, failure: AuthError) -> AuthError:
        """``failure``, its advice naming the credentials hook where the hook supplied the
        values it names: not the environment variables, whose values were not used."""
        target = self.target
        hooked = [
            name
            for name in (target.credentials if target is not None else ())
            if self.values.source(name).kind == HOOK
        ]
        if not hooked:
            return failure
        said = f"from {self.values.source(hooked[0])}"
        fix = failure.fix
        for name in hooked:
            fix = re.sub(rf"\b{self.values.setting(name).env}\b", f"{name} {said}", fix)
        if fix == failure.fix and failure.credentials_refused:
            fix += f"{'; ' * bool(fix)}{' and '.join(hooked)} came {said}"
        if fix == failure.fix:
            return failure
        return failure.derived(fix=fix)

    def adopt(self, target: Target) -> None:
        """Use a target decided elsewhere (by the xdist controller's hook)."""
        self.target, self.missing = target, None


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

    def login_session(
        self, title: str, url: str, service: str = ""
    ) -> AbstractContextManager[requests.Session]:
        """A session for one login at ``url``; a network error in it becomes an AuthError.
        Its requests take permits of ``service``'s rate budget."""
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


class LoginEnvironment:
    """Everything a login needs from the run around it, in one object.

    The team's hooks, a fresh HTTP session (``connector``), where secrets go to be hidden
    (``learn``, the scrubber's ``add``), the account ledger, the token memory of
    ``--tm-auth-remember`` (set when that mode is on), where a warning goes, and the
    secrets the keyring holds. The run builds one per provider; a unit test builds one
    with fakes. The login step reaches nothing above the core but through it.
    """

    __slots__ = ("accounts", "connector", "hooks", "learn", "memory", "vault", "warn")

    def __init__(
        self,
        hooks: Hooks,
        connector: Callable[[], Connector],
        *,
        learn: Callable[..., None],
        accounts: Accounts | None = None,
        memory: Memory | None = None,
        warn: Callable[[str], None] | None = None,
        vault: Vault | None = None,
    ) -> None:
        self.hooks = hooks
        self.connector = connector
        self.learn = learn
        self.accounts = Accounts() if accounts is None else accounts
        self.memory = memory
        self.warn = warn if warn is not None else _warn
        self.vault = vault


class LoginStep:
    """One provider's login, as the token cache calls it (``step(renewal)``)."""

    def __init__(self, configured: Configured, environment: LoginEnvironment) -> None:
        self.configured = configured
        self.environment = environment
        self._hooks = environment.hooks
        self._connector = environment.connector
        self._learn = environment.learn
        self._accounts = environment.accounts
        self._warn = environment.warn
        self._vault = environment.vault

    @property
    def memory(self) -> Memory | None:
        """The token memory, when ``--tm-auth-remember`` or ``--tm-auth-reset`` set one."""
        return self.environment.memory

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
        connector = self._connector()
        started = time.perf_counter()
        moved: list[Target] = []
        with connector.login_session(provider.title, target.url, provider.name) as http:
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
