"""``pytest-tm-auth status``: which secrets are stored for which site, never their values."""

from __future__ import annotations

from pytest_tm_auth.cli.main import say
from pytest_tm_auth.store.base import StoreError
from pytest_tm_auth.store.keyring_secrets import KeyringSecrets
from pytest_tm_auth.store.keyring_store import describe


def status() -> int:
    from pytest_tm_auth.store.stored_index import StoredIndex

    index = StoredIndex.of()
    secrets: KeyringSecrets | None = None
    try:
        secrets = KeyringSecrets()
        say(f"keyring: {describe(secrets.backend)}")
    except StoreError as error:
        say(f"keyring: not available: {error}")
    entries = index.entries()
    say(f"index: {index.path}")
    if not entries:
        say("nothing stored")
    for entry in entries:
        found = state(secrets, entry.setting, entry.site)
        providers = ", ".join(entry.providers)
        say(f"{providers}: {entry.setting.upper()} for {entry.site} ({found})")
    return 0


def state(secrets: KeyringSecrets | None, setting: str, site: str) -> str:
    if secrets is None:
        return "not checked"
    try:
        return "stored" if secrets.load(setting, site) is not None else "missing from the keyring"
    except StoreError as error:
        return str(error)
