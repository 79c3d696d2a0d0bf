"""How the stand-in pages a list, shared by every service: offsets, page sizes and tokens.

Each service states its vendor's rule as an :class:`OffsetRule` (default and largest page,
whether a too-large page is clamped or refused, whether an empty page may be asked for);
a bad value raises :class:`BadPage`, which the service answers as a 400 in its own error
shape. Jira Cloud's ``nextPageToken`` is opaque to clients: here it is the next offset,
signed with the server's key and bound to the query, so a garbage, tampered or foreign
token is refused instead of restarting the listing (which would loop a client forever).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = [
    "BadPage",
    "OffsetRule",
    "Page",
    "next_token",
    "token_offset",
    "whole_number",
    "window",
]

T = TypeVar("T")

#: Offsets beyond this are refused: no listing is that long, and no client needs to say so.
MAX_OFFSET = 10**9


class BadPage(ValueError):
    """A paging value the service refuses; the message is safe to send back."""


def whole_number(text: str | int | None, name: str, default: int) -> int:
    """``text`` as an integer (``default`` when absent), or :class:`BadPage` naming ``name``."""
    if text is None or text == "":
        return default
    if isinstance(text, bool):
        raise BadPage(f"{name} must be a whole number, not {text!r}")
    if isinstance(text, int):
        return text
    stripped = text.strip()
    digits = stripped[1:] if stripped[:1] in "+-" else stripped
    if not digits.isascii() or not digits.isdigit() or len(digits) > 12:
        raise BadPage(f"{name} must be a whole number, not {text[:40]!r}")
    return int(stripped)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One window of a listing: the items, where it started, its size and whether it is last."""

    items: Sequence[T]
    start: int
    size: int
    total: int

    @property
    def is_last(self) -> bool:
        return self.start + self.size >= self.total

    @property
    def next_start(self) -> int:
        return self.start + self.size


@dataclass(frozen=True)
class OffsetRule:
    """A vendor's offset paging: ``start``/``size`` parameter names, default and largest page.

    ``clamp`` answers a page larger than ``maximum`` with ``maximum`` items (and says so in
    the answer's page size) instead of refusing it; ``smallest`` is the least page size
    accepted (0 where the vendor lets a client ask for the count alone).
    """

    default: int
    maximum: int
    clamp: bool = True
    smallest: int = 1
    start_name: str = "startAt"
    size_name: str = "maxResults"

    def read(self, start: str | int | None, size: str | int | None) -> tuple[int, int]:
        """The offset and page size a request asked for, checked and clamped."""
        offset = whole_number(start, self.start_name, 0)
        wanted = whole_number(size, self.size_name, self.default)
        if not 0 <= offset <= MAX_OFFSET:
            raise BadPage(f"{self.start_name} must be between 0 and {MAX_OFFSET}, not {offset}")
        if wanted < self.smallest:
            raise BadPage(f"{self.size_name} must be {self.smallest} or more, not {wanted}")
        if wanted > self.maximum:
            if not self.clamp:
                raise BadPage(
                    f"{self.size_name} must be between {self.smallest} and {self.maximum}, "
                    f"not {wanted}"
                )
            wanted = self.maximum
        return offset, wanted

    def page(self, items: Sequence[T], start: str | int | None, size: str | int | None) -> Page[T]:
        """The window of ``items`` that ``start`` and ``size`` ask for."""
        offset, wanted = self.read(start, size)
        return window(items, offset, wanted)


def window(items: Sequence[T], offset: int, size: int) -> Page[T]:
    return Page(items[offset : offset + size], offset, size, len(items))


def _signature(key: bytes, offset: int, scope: str) -> str:
    mac = hmac.new(key, f"{offset}\n{scope}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:12]).decode("ascii")


def next_token(key: bytes, offset: int, scope: str) -> str:
    """An opaque token for the page at ``offset`` of the listing that ``scope`` names."""
    raw = f"{offset}.{_signature(key, offset, scope)}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def token_offset(key: bytes, token: str, scope: str) -> int:
    """The offset a :func:`next_token` token stands for, or :class:`BadPage`."""
    refused = BadPage("The nextPageToken is invalid or does not belong to this search.")
    if not token or len(token) > 200:
        raise refused
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        raise refused from None
    number, _, signature = raw.partition(".")
    if not number.isdigit() or len(number) > 10:
        raise refused
    offset = int(number)
    if not hmac.compare_digest(signature, _signature(key, offset, scope)):
        raise refused
    return offset
