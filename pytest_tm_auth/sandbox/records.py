"""What the sandbox remembers about each request: enough to assert on, never a credential."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["RECORDED_HEADERS", "Recorded"]

#: Request headers kept by name (lower-cased): informative ones that never carry a credential.
RECORDED_HEADERS = ("user-agent", "x-request-source")


@dataclass(frozen=True)
class Recorded:
    """One request as seen by the sandbox.

    ``auth`` is only the scheme (``"bearer"``, ``"basic"``, another lower-cased word, or
    ``None``) and ``user`` the user name it identified; ``status`` is 0 for a dropped
    connection; ``connection`` identifies the TCP connection; ``at`` is ``time.monotonic()``;
    ``headers`` holds those of :data:`RECORDED_HEADERS` the request sent, by lower-cased name.
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
    headers: Mapping[str, str] = field(default_factory=dict, hash=False)
