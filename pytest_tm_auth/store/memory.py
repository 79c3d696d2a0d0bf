"""Remembered tokens: reuse an issued token across runs until shortly before it expires.

Opt-in (``--tm-auth-remember``). Only tokens with a known expiry are kept, and never a value
that is itself a configured secret. Each token is filed under a hash of everything that
decides which token a login returns (provider, deployment, URLs and every credential
setting, secrets included but only hashed), so other credentials or URLs never receive it.

The OS keyring holds them when a real backend exists (the optional ``keyring`` extra);
otherwise a per-user cache file (:class:`FileStore`), ``0600`` in a ``0700`` directory,
replaced atomically under a lock so that concurrent runs and xdist workers cannot lose each
other's writes; a file or directory another user owns is refused, and so is a directory or
lock that is a symbolic link. Anything wrong with the store is a
:class:`~pytest_tm_auth.TokenStoreWarning` and a normal login.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_tm_auth.core.accounts import store_key
from pytest_tm_auth.core.codec import decode_token, encode_token
from pytest_tm_auth.store.base import FORMAT, Entry, StoreError, TokenStore, user_directory
from pytest_tm_auth.store.private import foreign, locked, private_directory, replace_privately

if TYPE_CHECKING:
    from pytest_tm_auth.core.provider import Provider, Target
    from pytest_tm_auth.core.token import Token
    from pytest_tm_auth.core.values import Values


class TokenMemory:
    """The run's remembered tokens: ``recall`` before a login, ``keep`` after one.

    Never raises for a store problem: it warns once per problem and the run logs in as if
    nothing were remembered. The store is opened on first use, so that runs which never
    log in never import ``keyring`` or touch the disk.
    """

    def __init__(
        self,
        warn: Callable[[str], None],
        *,
        reuse: bool = True,
        remember: bool = True,
    ) -> None:
        self._warn = warn
        self.reuse = reuse
        self.remember = remember
        self._store: TokenStore | None = None
        self._broken = False
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def recall(self, provider: Provider, target: Target, values: Values) -> Token | None:
        """A remembered token for exactly this provider and configuration, still valid."""
        if not self.reuse:
            return None
        store = self._open()
        if store is None:
            return None
        try:
            entry = store.get(store_key(provider, target, values))
        except StoreError as problem:
            self._problem(str(problem))
            return None
        token = decode_token(entry, provider.name)
        if token is None or token.expires_at is None or token.needs_renewal():
            return None
        return token

    def keep(self, provider: Provider, target: Target, values: Values, token: Token) -> None:
        """Remember ``token`` if it has a known expiry ahead and is not a configured secret."""
        if not self.remember or token.expires_at is None or token.needs_renewal():
            return
        if str(token.value) in values.secrets():
            return  # a credential shaped like a token: storing it would store a secret
        store = self._open()
        if store is None:
            return
        try:
            store.put(store_key(provider, target, values), encode_token(token))
        except StoreError as problem:
            self._problem(str(problem))

    def forget(self, keys: Iterable[str]) -> None:
        """``--tm-auth-reset``: forget ``keys`` (the file store: every token)."""
        store = self._open()
        if store is None:
            return
        try:
            store.forget(keys)
        except StoreError as problem:
            self._problem(str(problem))

    def _open(self) -> TokenStore | None:
        with self._lock:
            if self._store is None and not self._broken:
                try:
                    self._store = open_store()
                except StoreError as problem:
                    self._broken = True
                    self._problem(str(problem))
            return self._store

    def _problem(self, text: str) -> None:
        if text not in self._warned:
            self._warned.add(text)
            self._warn(f"remembered tokens not used: {text}; logging in normally")


def open_store(environ: Mapping[str, str] | None = None) -> TokenStore:
    """The OS keyring when a real backend exists, else the per-user cache file."""
    from pytest_tm_auth.store.keyring_store import KeyringStore, keyring_backend

    backend = keyring_backend()
    if backend is not None:
        return KeyringStore(backend)
    try:
        directory = cache_directory(os.environ if environ is None else environ)
    except (RuntimeError, KeyError):  # no home directory to put ~/.cache in
        raise StoreError("no cache directory: set XDG_CACHE_HOME") from None
    return FileStore(directory)


FILE_NAME = "tokens.json"


def cache_directory(environ: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME/pytest-tm-auth`` (an absolute one), else ``~/.cache/pytest-tm-auth``."""
    return user_directory(environ, "XDG_CACHE_HOME", "LOCALAPPDATA", ".cache")


class FileStore:
    """A JSON file of entries by key, private to the user, replaced whole on every write."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / FILE_NAME
        self.where = str(self.path)

    def get(self, key: str) -> Entry | None:
        entry = self._read().get(key)
        return entry if isinstance(entry, dict) else None

    def put(self, key: str, entry: Entry) -> None:
        def change(entries: dict[str, Any]) -> None:
            entries[key] = entry

        self._update(change)

    def forget(self, keys: Iterable[str]) -> None:
        if self.path.exists() or self.path.is_symlink():
            self._update(lambda entries: entries.clear())

    def _read(self, *, tolerate_corrupt: bool = False) -> dict[str, Any]:
        """The entries; ``{}`` when there is no file yet. Checks ownership first."""
        if not private_directory(self.directory, create=False):
            return {}
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise StoreError(f"cannot read {self.path}: {error.strerror or error}") from None
        try:
            _check_owner(fd, self.path)
            with os.fdopen(fd, "rb", closefd=False) as handle:
                raw = handle.read()
        except OSError as error:
            raise StoreError(f"cannot read {self.path}: {error.strerror or error}") from None
        finally:
            os.close(fd)
        try:
            data = json.loads(raw.decode("utf-8"))
        except ValueError:
            data = None
        if not (
            isinstance(data, dict)
            and data.get("format") == FORMAT
            and isinstance(data.get("tokens"), dict)
        ):
            if tolerate_corrupt:
                return {}
            raise StoreError(f"{self.path} is corrupt or from another version")
        tokens: dict[str, Any] = data["tokens"]
        return tokens

    def _update(self, change: Callable[[dict[str, Any]], None]) -> None:
        """Read, change and write back under a lock: concurrent writers never lose entries."""
        private_directory(self.directory, create=True)
        try:
            with locked(self.path):
                entries = self._read(tolerate_corrupt=True)
                change(entries)
                now = time.time()
                fresh = {
                    key: entry
                    for key, entry in entries.items()
                    if isinstance(entry, dict)
                    and isinstance(entry.get("expires_at"), (int, float))
                    and entry["expires_at"] > now
                }
                replace_privately(self.path, {"format": FORMAT, "tokens": fresh})
        except OSError as error:
            raise StoreError(f"cannot write {self.path}: {error.strerror or error}") from None


def _check_owner(fd: int, path: Path) -> None:
    status = os.fstat(fd)
    if foreign(status.st_uid):
        raise StoreError(f"{path} belongs to another user")
    if os.name != "nt" and status.st_mode & 0o077:
        os.fchmod(fd, 0o600)
