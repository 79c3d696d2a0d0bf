"""Secrets ``pytest-tm-auth login`` stored in the OS keyring, one entry per setting and site.

Under the service ``pytest-tm-auth-credentials``, apart from the remembered tokens
(``pytest-tm-auth``), with the user name ``{setting}@{site}``: two Jira sites never share an
entry. keyring is imported only when called (its backend is chosen in :mod:`.keyring_store`).
"""

from __future__ import annotations

from typing import Any

from pytest_tm_auth.store.keyring_store import backend_errors, chosen_backend

SERVICE = "pytest-tm-auth-credentials"


def key(setting: str, site: str) -> str:
    return f"{setting}@{site}"


class KeyringSecrets:
    """Read, store and delete the stored secrets; every failure is a :class:`StoreError`."""

    def __init__(self, chosen: Any | None = None) -> None:
        self.backend = chosen_backend() if chosen is None else chosen
        self.where = f"the keyring ({type(self.backend).__name__})"

    def load(self, setting: str, site: str) -> str | None:
        with backend_errors("read", self.where):
            text = self.backend.get_password(SERVICE, key(setting, site))
        return text if isinstance(text, str) and text else None

    def save(self, setting: str, site: str, value: str) -> None:
        with backend_errors("write to", self.where):
            self.backend.set_password(SERVICE, key(setting, site), value)

    def delete(self, setting: str, site: str) -> bool:
        """Delete the entry; whether there was one."""
        if self.load(setting, site) is None:
            return False
        with backend_errors("delete from", self.where):
            self.backend.delete_password(SERVICE, key(setting, site))
        return True
