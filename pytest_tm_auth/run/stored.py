"""The secrets ``pytest-tm-auth login`` stored, in a run: which apply, and reading them.

Which apply is decided at start from the index alone (no keyring): an entry counts when no
higher source sets its setting and the provider that stored it, given that secret, logs in
to the entry's site. The value is read from the keyring when that provider first logs in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pytest_tm_auth.core.errors import TmAuthError
from pytest_tm_auth.core.values import KEYRING, InKeyring, Resolved, Source, Values
from pytest_tm_auth.run.warnings import StoredCredentialWarning
from pytest_tm_auth.store.stored_index import Stored

if TYPE_CHECKING:
    from pytest_tm_auth.core.provider import Provider, Target
    from pytest_tm_auth.store.keyring_store import KeyringSecrets

#: Sources above the keyring: what they set, the keyring never replaces.
ABOVE = frozenset({"option", "env", ".env"})


def keyring_sites(
    values: Values, providers: Sequence[Provider], entries: Sequence[Stored]
) -> dict[str, str]:
    """The stored secrets this run's settings lead to: setting name -> site."""
    found: dict[str, str] = {}
    by_name = {provider.name: provider for provider in providers}
    for entry in entries:
        name = entry.setting
        if name in found or name not in values or values.source(name).kind in ABOVE:
            continue
        if not values.setting(name).secret:
            continue
        for provider in (by_name[p] for p in entry.providers if p in by_name):
            target = target_if_stored(provider, values, name, entry.site)
            if target is not None and target.url == entry.site:
                found[name] = entry.site
                break
    return found


def users(entry: Stored, values: Values, providers: Sequence[Provider]) -> list[str]:
    """The providers a run with ``values`` gives the stored secret ``entry`` to. An entry is
    one setting's value for one site: every provider that logs in there with that setting
    uses it, whichever provider's login stored it (Xray and Jira Data Center share a token)."""
    if entry.setting not in keyring_sites(values, providers, [entry]):
        return []
    return [
        provider.name
        for provider in providers
        if (target := target_if_stored(provider, values, entry.setting, entry.site)) is not None
        and target.url == entry.site
    ]


def target_if_stored(
    provider: Provider, values: Values, name: str, site: str = ""
) -> Target | None:
    """Where ``provider`` would log in if the keyring held the secret ``name`` (a placeholder
    stands in for it: no keyring, no network); ``None`` if it would not log in with it."""
    item = values.resolved[name]
    trial = {
        **values.resolved,
        name: Resolved(item.setting, InKeyring("<trial>"), Source(KEYRING, site)),
    }
    try:
        target = provider.target(Values(trial))
    except TmAuthError:  # not configured, or configured without this secret
        return None
    return target if name in target.credentials else None


class KeyringVault:
    """Reads stored secrets on a provider's first login; a failure is a warning, then the
    secret is simply not set (the usual skip)."""

    def __init__(self) -> None:
        self._secrets: KeyringSecrets | None = None

    def load(self, name: str, site: str) -> str | None:
        from pytest_tm_auth.store.base import StoreError
        from pytest_tm_auth.store.keyring_store import KeyringSecrets

        env = name.upper()
        try:
            if self._secrets is None:
                self._secrets = KeyringSecrets()
            text = self._secrets.load(name, site)
        except StoreError as error:
            _warn(env, f"{env} for {site} is stored in the keyring, but {error}; it is not set")
            return None
        if text is None:
            _warn(
                env,
                f"{env} for {site} is not in {self._secrets.where}; it is not set: "
                "run pytest-tm-auth login again",
            )
        return text


def refused_index(reason: str) -> Warning:
    """The warning of a run whose index is refused (its folder is a symbolic link)."""
    return StoredCredentialWarning(
        f"tm-auth: the secrets pytest-tm-auth login stored are not used: {reason}"
    )


def _warn(env: str, message: str) -> None:
    """Pointing at the setting the keyring was to give, not at this line."""
    from pytest_tm_auth.run.warnings import warn_at

    warn_at(StoredCredentialWarning(f"tm-auth: {message}"), (f"{env} (keyring)", 1))
