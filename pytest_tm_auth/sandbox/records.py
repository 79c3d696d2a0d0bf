"""What the sandbox remembers about each request: enough to assert on, never a credential."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Recorded"]


@dataclass(frozen=True)
class Recorded:
    """One request as seen by the sandbox.

    ``auth`` is only the scheme (``"bearer"``, ``"basic"``, another lower-cased word, or
    ``None``) and ``user`` the user name it identified; ``status`` is 0 for a dropped
    connection; ``connection`` identifies the TCP connection; ``at`` is ``time.monotonic()``.
    """

    method: str
    path: str
    query: str
    route: str
    status: int
    auth: str | None
    user: str | None
    connection: int
    at: float
