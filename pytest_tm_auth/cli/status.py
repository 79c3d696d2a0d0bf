"""``pytest-tm-auth status``: which secrets are stored for which site, never their values,
and which providers a run with this shell's settings gives each one to."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator

from pytest_tm_auth.store.base import StoreError
from pytest_tm_auth.store.keyring_store import KeyringSecrets, describe
from pytest_tm_auth.store.stored_index import Stored


def status(args: argparse.Namespace) -> Iterator[str]:
    from pytest_tm_auth.store.stored_index import StoredIndex

    index = StoredIndex.of()
    refused = index.refused()
    if refused:
        raise StoreError(refused)
    secrets: KeyringSecrets | None = None
    try:
        secrets = KeyringSecrets()
        yield f"keyring: {describe(secrets.backend)}"
    except StoreError as error:
        yield f"keyring: not available: {error}"
    entries = index.entries()
    yield f"index: {index.path}"
    if not entries:
        yield "nothing stored"
    serving = users_here() if entries else None
    for entry in entries:
        found = state(secrets, entry.setting, entry.site)
        providers = ", ".join(entry.providers)
        others = [name for name in serving(entry) if name not in entry.providers] if serving else []
        if others:  # logout of those that stored it alone removes it: say who else uses it
            found += f"; {' and '.join(others)} use{'s' * (len(others) == 1)} it too"
        yield f"{providers}: {entry.setting.upper()} for {entry.site} ({found})"


def users_here() -> Callable[[Stored], list[str]] | None:
    """Which providers a run here (this environment, this folder's ``.env``) gives an entry
    to; ``None`` when these settings cannot be read (then status says who stored it only)."""
    from pytest_tm_auth.cli.settings import all_settings, command_values, providers
    from pytest_tm_auth.core.errors import TmAuthError
    from pytest_tm_auth.run.stored import users

    known = list(providers().values())
    try:
        values = command_values(argparse.Namespace(), all_settings(known))
    except TmAuthError:
        return None
    return lambda entry: users(entry, values, known)


def state(secrets: KeyringSecrets | None, setting: str, site: str) -> str:
    if secrets is None:
        return "not checked"
    try:
        return "stored" if secrets.load(setting, site) is not None else "missing from the keyring"
    except StoreError as error:
        return str(error)
