"""What a place for remembered tokens must do, and the error it raises when it cannot."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

#: Bumped when the entries change meaning, so old entries are never misread.
FORMAT = 1
#: The keyring service name, and the cache directory's name.
NAME = "pytest-tm-auth"


class StoreError(Exception):
    """The store cannot be used now; the message says why (no secret in it)."""


Entry = dict[str, Any]


class TokenStore(Protocol):
    """Where remembered tokens live. ``where`` names it in warnings."""

    where: str

    def get(self, key: str) -> Entry | None:
        """The entry filed under ``key``, or ``None``; raises :class:`StoreError`."""
        ...

    def put(self, key: str, entry: Entry) -> None:
        """File ``entry`` under ``key``, replacing any older one; raises :class:`StoreError`."""
        ...

    def forget(self, keys: Iterable[str]) -> None:
        """Forget ``keys`` (the file store forgets everything); raises :class:`StoreError`."""
        ...
