"""Remembered tokens in a per-user cache file, for machines without a keyring backend.

``0600`` in a ``0700`` directory, replaced atomically under a lock so that concurrent runs
and xdist workers cannot lose each other's writes; a file or directory another user owns is
refused, and so is a directory or lock that is a symbolic link.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from pytest_tm_auth.store.base import FORMAT, Entry, StoreError, user_directory
from pytest_tm_auth.store.private import foreign, locked, private_directory, replace_privately

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
