"""The index of secrets ``pytest-tm-auth login`` stored: names and sites, never values.

A run reads it (one small JSON file) to know which secrets the keyring holds without
importing keyring; the keyring is asked only when a provider logs in. ``0600`` in a ``0700``
per-user config directory, changed only under its lock (with the keyring entries it names,
see :meth:`StoredIndex.locked`) and replaced atomically; a missing or unreadable index means
nothing is stored, never an error in a run. A config folder that is a symbolic link is
never followed: nothing is read from it or written to it.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from pytest_tm_auth.store.base import FORMAT, StoreError, config_directory, never_followed

FILE_NAME = "credentials.json"
#: Far more than the entries of every setting and site a person has: a bigger file is not ours.
MAX_BYTES = 1 << 20


class Stored(NamedTuple):
    """One stored secret: its setting, the site it logs in to, the providers that stored it."""

    setting: str
    site: str
    providers: tuple[str, ...]


class StoredIndex:
    """The index file: read whole, replaced whole, changed under its lock."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / FILE_NAME
        self._held = False

    @classmethod
    def of(cls, environ: Mapping[str, str] | None = None) -> StoredIndex:
        return cls(config_directory(os.environ if environ is None else environ))

    def entries(self) -> list[Stored]:
        """What is stored; ``[]`` when there is no index or it cannot be read."""
        if self.refused():
            return []
        try:
            raw = self.path.read_bytes()
        except OSError:  # mostly: no file, nothing was ever stored
            return []
        if len(raw) > MAX_BYTES:  # not one the command wrote: read as nothing stored
            return []
        try:
            data = json.loads(raw.decode("utf-8"))
            rows = data["entries"] if data.get("format") == FORMAT else []
            return [
                Stored(str(row["setting"]), str(row["site"]), tuple(map(str, row["providers"])))
                for row in rows
                if isinstance(row["providers"], list)
            ]
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            return []  # hand-edited or damaged: nothing stored, never an error in a run

    def refused(self) -> str:
        """Why the index cannot be used (its folder is a symbolic link), or ``""``."""
        if self.directory.is_symlink():
            return never_followed(self.directory)
        return ""

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the index's lock (re-entrant): a login or logout changes the index and the
        keyring entries it names as one step, so concurrent commands never lose an entry or
        leave a secret in the keyring that no entry names. Raises StoreError."""
        if self._held:
            yield
            return
        from pytest_tm_auth.store.private import locked, private_directory  # writers only

        private_directory(self.directory, create=True)
        with locked(self.path):
            self._held = True
            try:
                yield
            finally:
                self._held = False

    def add(self, provider: str, setting: str, site: str) -> None:
        """Note that ``provider``'s login stored ``setting`` for ``site``."""
        with self.locked():
            entries = self.entries()
            kept = [entry for entry in entries if (entry.setting, entry.site) != (setting, site)]
            before = [entry for entry in entries if (entry.setting, entry.site) == (setting, site)]
            providers = set(before[0].providers if before else ()) | {provider}
            self._write([*kept, Stored(setting, site, tuple(sorted(providers)))])

    def remove(self, provider: str | None) -> tuple[list[Stored], list[Stored]]:
        """Drop ``provider`` (``None``: every provider) from the entries.

        Returns the entries no provider keeps any more (their keyring entries can go) and those
        another provider's login still keeps.
        """
        gone: list[Stored] = []
        kept: list[Stored] = []
        shared: list[Stored] = []
        with self.locked():
            for entry in self.entries():
                if provider is None or provider in entry.providers:
                    rest = tuple(p for p in entry.providers if provider and p != provider)
                    if rest:
                        shared.append(entry)
                        kept.append(entry._replace(providers=rest))
                    else:
                        gone.append(entry)
                else:
                    kept.append(entry)
            if gone or shared:
                self._write(kept)
        return gone, shared

    def _write(self, entries: list[Stored]) -> None:
        rows = [entry._asdict() for entry in entries]
        from pytest_tm_auth.store.private import replace_privately  # writers only

        try:
            replace_privately(self.path, {"format": FORMAT, "entries": rows})
        except OSError as error:
            raise StoreError(f"cannot write {self.path}: {error.strerror or error}") from None
