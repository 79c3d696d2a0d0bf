"""Rate limits: a budget of requests per interval for a service, as the real ones keep.

A limit covers every route under its name (``xray`` covers ``xray.graphql``, ...). Its
window opens at the first request it sees and lasts ``seconds``; within it, the first
``requests`` are answered and the rest get 429, which does not spend the budget. When the
window ends, the next request opens a new one. A refusal may carry ``Retry-After`` (whole
seconds until the window ends), and an advertised limit puts ``X-RateLimit-Limit``,
``-Remaining`` and ``-Reset`` (whole seconds until the window ends) on every answer of the
service, refusals included.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

__all__ = ["Limit", "RateLimits", "Verdict"]


@dataclass(frozen=True)
class Limit:
    route: str
    requests: int
    seconds: float
    advertise: bool = False
    retry_after: bool = True

    def __post_init__(self) -> None:
        if self.requests < 1 or not (self.seconds > 0 and math.isfinite(self.seconds)):
            raise ValueError("a rate limit needs at least 1 request per a positive interval")


@dataclass(frozen=True)
class Verdict:
    """What a limit says of one request: its headers, and why it is refused if it is over
    budget (the message of a 429)."""

    headers: dict[str, str]
    refused: str | None = None


class _Window:
    def __init__(self, limit: Limit) -> None:
        self.limit = limit
        self.opened = -math.inf
        self.spent = 0

    def judge(self, now: float) -> Verdict:
        limit = self.limit
        if now >= self.opened + limit.seconds:
            self.opened, self.spent = now, 0
        over = self.spent >= limit.requests
        if not over:
            self.spent += 1
        wait = max(1, math.ceil(self.opened + limit.seconds - now))
        headers: dict[str, str] = {}
        if limit.advertise:
            headers["X-RateLimit-Limit"] = str(limit.requests)
            headers["X-RateLimit-Remaining"] = str(limit.requests - self.spent)
            headers["X-RateLimit-Reset"] = str(wait)
        if not over:
            return Verdict(headers)
        if limit.retry_after:
            headers["Retry-After"] = str(wait)
        message = f"Rate limit exceeded: {limit.requests} requests per {limit.seconds:g} seconds."
        return Verdict(headers, message)


class RateLimits:
    """The limits set, one per service name, each with its window, behind one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, _Window] = {}

    def set(self, limit: Limit) -> None:
        with self._lock:
            self._windows[limit.route] = _Window(limit)

    def judge(self, route: str) -> Verdict | None:
        """The verdict of the limit covering ``route`` (its longest name), if one does."""
        now = time.monotonic()
        with self._lock:
            covering = [
                name for name in self._windows if route == name or route.startswith(name + ".")
            ]
            if not covering:
                return None
            return self._windows[max(covering, key=len)].judge(now)

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()
