"""``pytest-tm-auth logout [PROVIDER]``: remove what ``login`` stored, from keyring and index.

A secret two providers' logins stored (one Jira token for Xray and Jira Data Center) stays
until the last of them logs out.
"""

from __future__ import annotations

from pytest_tm_auth.cli.main import say
from pytest_tm_auth.store.keyring_secrets import KeyringSecrets
from pytest_tm_auth.store.stored_index import StoredIndex


def logout(provider: str | None) -> int:
    index = StoredIndex.of()
    mine = [e for e in index.entries() if provider is None or provider in e.providers]
    if not mine:
        say(f"nothing stored for {provider}" if provider else "nothing stored")
        return 0
    secrets = KeyringSecrets()  # NoKeyring: one line, and the index is left as it is
    for entry in mine:
        if provider is None or entry.providers == (provider,):
            secrets.delete(entry.setting, entry.site)
    gone, shared = index.remove(provider)
    for entry in gone:
        say(f"removed {entry.setting.upper()} for {entry.site} from {secrets.where}")
    for entry in shared:
        others = ", ".join(p for p in entry.providers if p != provider)
        say(f"kept {entry.setting.upper()} for {entry.site}: {others} also uses it")
    return 0
