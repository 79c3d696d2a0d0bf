"""``pytest-tm-auth logout [PROVIDER]``: remove what ``login`` stored, from keyring and index.

A secret two providers' logins stored (one Jira token for Xray and Jira Data Center) stays
until the last of them logs out. Keyring and index change together under the index's lock.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator

from pytest_tm_auth.store.base import StoreError
from pytest_tm_auth.store.keyring_store import KeyringSecrets
from pytest_tm_auth.store.stored_index import Stored, StoredIndex


def logout(args: argparse.Namespace) -> Iterator[str]:
    provider: str | None = args.provider
    index = StoredIndex.of()
    if index.refused():
        raise StoreError(index.refused())
    if not _mine(index, provider):  # nothing to do: not even the lock file is made
        yield f"nothing stored for {provider}" if provider else "nothing stored"
        if provider:
            yield from _served_anyway(index, provider)
        return
    secrets = KeyringSecrets()  # NoKeyring: one line, and the index is left as it is
    deleted: dict[Stored, bool] = {}
    with index.locked():
        for entry in _mine(index, provider):  # again, under the lock: another may have gone
            if provider is None or entry.providers == (provider,):
                deleted[entry] = secrets.delete(entry.setting, entry.site)
        gone, shared = index.remove(provider)
    for entry in gone:
        shown = f"{entry.setting.upper()} for {entry.site}"
        if deleted.get(entry, False):
            yield f"removed {shown} from {secrets.where}"
        else:
            yield f"removed {shown} from the index; it was not in {secrets.where}"
    for entry in shared:
        others = ", ".join(p for p in entry.providers if p != provider)
        yield f"kept {entry.setting.upper()} for {entry.site}: {others} also uses it"


def _served_anyway(index: StoredIndex, provider: str) -> Iterator[str]:
    """Say which entries another provider's login stored that a run here still gives
    ``provider`` (Jira uses the token ``login xray`` stored for the same Data Center site)."""
    from pytest_tm_auth.cli.status import users_here

    serving = users_here()
    if serving is None:
        return
    for entry in index.entries():
        if provider in serving(entry):
            stored_by = " and ".join(entry.providers)
            yield (
                f"{entry.setting.upper()} for {entry.site}, which {stored_by}'s login stored, "
                f"is used by {provider} too: pytest-tm-auth logout {entry.providers[0]} "
                "removes it"
            )


def _mine(index: StoredIndex, provider: str | None) -> list[Stored]:
    return [e for e in index.entries() if provider is None or provider in e.providers]
