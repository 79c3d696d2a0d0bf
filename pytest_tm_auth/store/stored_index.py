"""The index of secrets ``pytest-tm-auth login`` stored: names and sites, never values.

A run reads it (one small JSON file) to know which secrets the keyring holds without
importing keyring; the keyring is asked only when a provider logs in. ``0600`` in a ``0700``
per-user config directory, replaced atomically; a missing or unreadable index means nothing
is stored, never an error in a run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from pytest_tm_auth.store.base import FORMAT, StoreError, config_directory

FILE_NAME = "credentials.json"
#: Far more than the entries of every setting and site a person has: a bigger file is not ours.
MAX_BYTES = 1 << 20


class Stored(NamedTuple):
    """One stored secret: its setting, the site it logs in to, the providers that stored it."""

    setting: str
    site: str
    providers: tuple[str, ...]


class StoredIndex:
    """The index file: read whole, replaced whole."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / FILE_NAME

    @classmethod
    def of(cls, environ: Mapping[str, str] | None = None) -> StoredIndex:
        return cls(config_directory(os.environ if environ is None else environ))

    def entries(self) -> list[Stored]:
        """What is stored; ``[]`` when there is no index or it cannot be read."""
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

    def add(self, provider: str, setting: str, site: str) -> None:
        """Note that ``provider``'s login stored ``setting`` for ``site``."""
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
        for entry in self.entries():
            if provider is None or provider in entry.providers:
                rest = tuple(p for p in entry.providers if provider is not None and p != provider)
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
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            if os.name != "nt" and self.directory.stat().st_mode & 0o077:
                self.directory.chmod(0o700)
            from pytest_tm_auth.store.private import replace_privately  # writers only

            replace_privately(self.path, {"format": FORMAT, "entries": rows})
        except OSError as error:
            raise StoreError(f"cannot write {self.path}: {error.strerror or error}") from None
