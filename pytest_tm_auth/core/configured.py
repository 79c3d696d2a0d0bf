"""A provider's settings and where they lead: changed at most once, by the credentials hook.

Also what a login says of the hook: where it is implemented, and the advice of a refused
login, which names the hook rather than the environment variables it overrode.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

from pytest_tm_auth.core.errors import AuthError, MissingCredentials

if TYPE_CHECKING:
    from pytest_tm_auth.core.provider import Provider, Target
    from pytest_tm_auth.settings.model import Values

__all__ = ["HOOK", "Configured", "CredentialsHook", "Vault"]


class CredentialsHook(Protocol):
    """The one hook :class:`Configured` asks (see :class:`~.login.Hooks`)."""

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
