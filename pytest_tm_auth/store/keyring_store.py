"""The OS keyring: remembered tokens, one entry per key under the service ``pytest-tm-auth``;
the secrets ``pytest-tm-auth login`` stored, one entry per setting and site under
``pytest-tm-auth-credentials`` (:class:`KeyringSecrets`); and how a backend is chosen and
its errors reported, for both.

A stored secret's user name is ``{setting}@{site}``: two Jira sites never share an entry.
keyring itself is imported only when called.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from pytest_tm_auth.store.base import NAME, Entry, StoreError

#: What :class:`NoKeyring` says when the package itself is missing.
INSTALL = "keyring is not installed: pip install 'pytest-tm-auth[keyring]'"


class NoKeyring(StoreError):
    """keyring is missing, or it has no usable backend; the message says which."""


def chosen_backend() -> Any:
    """keyring's chosen backend; :class:`NoKeyring` without keyring, with a broken
    configuration, or with only its fail/null backend."""
    try:
        import keyring
    except ImportError:
        raise NoKeyring(INSTALL) from None
    try:
        backend = keyring.get_keyring()
        priority = float(backend.priority)
    except Exception as error:  # a broken keyring configuration
        raise NoKeyring(f"keyring cannot choose a backend: {type(error).__name__}") from None
    if priority <= 0:
        raise NoKeyring(
            f"no keyring backend is available (keyring chose {describe(backend)}): install one "
            "for this system, or set PYTHON_KEYRING_BACKEND"
        )
    return backend


def keyring_backend() -> Any | None:
    """keyring's chosen backend, or ``None`` (remembered tokens then go to the file)."""
    try:
        return chosen_backend()
    except NoKeyring:
        return None


def describe(backend: Any) -> str:
    kind = type(backend)
    return f"{kind.__name__} ({kind.__module__})"


@contextlib.contextmanager
def backend_errors(action: str, where: str) -> Iterator[None]:
    """Whatever a keyring backend raises, as a :class:`StoreError` that names only its type:
    backends raise anything from D-Bus errors to OSError, with texts that may hold a key."""
    try:
        yield
    except Exception as error:
        raise StoreError(f"cannot {action} {where}: {type(error).__name__}") from None


class KeyringStore:
    """One keyring entry per key, under the service ``pytest-tm-auth``."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self.where = f"the keyring ({type(backend).__name__})"

    def get(self, key: str) -> Entry | None:
        with backend_errors("read", self.where):
            text = self._backend.get_password(NAME, key)
        if text is None:
            return None
        try:
            entry = json.loads(text)
        except ValueError:
            raise StoreError(f"the entry in {self.where} is corrupt") from None
        return entry if isinstance(entry, dict) else None

    def put(self, key: str, entry: Entry) -> None:
        with backend_errors("write", self.where):
            self._backend.set_password(NAME, key, json.dumps(entry))

    def forget(self, keys: Iterable[str]) -> None:
        for key in keys:
            with backend_errors("read", self.where):
                known = self._backend.get_password(NAME, key) is not None
            if known:
                with backend_errors("delete from", self.where):
                    self._backend.delete_password(NAME, key)


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
