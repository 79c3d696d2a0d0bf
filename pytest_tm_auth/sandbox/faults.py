"""Scripted misbehaviour: what requests get instead of a normal answer, so tests can meet
the failures of real services at will: a fault for the next ones, a rate limit for all of a
service's.
"""

from __future__ import annotations

import base64
import functools
import json
import math
import threading
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Fault", "Limit", "RateLimits", "Verdict"]

_LOGIN_PAGE = """<!DOCTYPE html>
<html><head><title>Sign in - Corporate Proxy</title></head>
<body><h1>Sign in to continue</h1>
<form method="post" action="/proxy/login">
<input name="username"><input name="password" type="password">
<button type="submit">Sign in</button></form></body></html>
"""

_TOMCAT_429 = """<!doctype html><html lang="en"><head><title>HTTP Status 429 - Too Many Requests
</title></head><body><h1>HTTP Status 429 - Too Many Requests</h1><hr class="line" />
<p><b>Type</b> Status Report</p><hr class="line" /><h3>Apache Tomcat/9.0.75</h3></body></html>
"""
_RATE_LIMIT_HEADERS = {
    "X-RateLimit-Limit": "100",
    "X-RateLimit-Remaining": "0",
    "X-RateLimit-Interval-Seconds": "60",
    "X-RateLimit-FillRate": "10",
    "retry-after": "1",
}


@dataclass(frozen=True)
class Fault:
    """One scripted answer.

    ``delay`` sleeps before answering (to trigger client timeouts); ``drop`` closes the TCP
    connection without a response; ``passthrough`` answers normally after the delay;
    ``drop_after`` runs the route (the import lands, the issue is created) and then closes
    the connection without sending its answer, so the client cannot know it happened.
    ``drip`` sends the whole answer (status line, headers, body) one byte every ``drip``
    seconds; ``length`` declares a ``Content-Length`` other than the body's and closes the
    connection after the body; ``gzip`` sends the body compressed (``Content-Encoding``).
    """

    status: int = 503
    headers: Mapping[str, str] = field(default_factory=dict, hash=False)
    body: str | bytes = ""
    content_type: str = "text/plain"
    delay: float = 0.0
    drop: bool = False
    passthrough: bool = False
    drip: float = 0.0
    length: int | None = None
    gzip: bool = False
    drop_after: bool = False

    def __post_init__(self) -> None:
        if self.drop and self.drop_after:
            raise ValueError("Fault drop (before the route) and drop_after exclude each other")
        if not (self.drop or self.passthrough or self.drop_after) and not 100 <= self.status <= 599:
            raise ValueError(f"Fault status must be an HTTP status (100-599), not {self.status}")
        if self.delay < 0 or self.drip < 0:
            raise ValueError("Fault delay and drip must be 0 or more seconds")

    @property
    def payload(self) -> bytes:
        """The body as sent (compressed when ``gzip``)."""
        body = self.body.encode("utf-8") if isinstance(self.body, str) else self.body
        return _gzipped(body) if self.gzip else body

    @property
    def raw(self) -> bool:
        """Whether the answer is written byte by byte rather than by the HTTP server."""
        return bool(self.drip or self.length is not None)

    @classmethod
    def retry_after(cls, seconds: float | str, status: int = 429) -> Fault:
        """A rate-limit answer carrying ``Retry-After``: a number of seconds (whole when
        possible), or any text as it is (an HTTP-date, ``-5``, ``soon-ish``)."""
        if isinstance(seconds, str):
            value = seconds
        else:
            value = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
        return cls(status=status, headers={"Retry-After": value}, body="Too Many Requests")

    @classmethod
    def dripping(cls, seconds: float, status: int = 200, body: str = '"demo-token"') -> Fault:
        """An answer sent one byte every ``seconds``, headers included."""
        return cls(status=status, body=body, content_type="application/json", drip=seconds)

    @classmethod
    def gzip_bomb(cls, megabytes: int = 200, status: int = 500) -> Fault:
        """A small gzip body that inflates to ``megabytes`` MB of zeros."""
        headers = {"Content-Encoding": "gzip"}
        return cls(status=status, body=_zeros_gzipped(megabytes), headers=headers)

    @classmethod
    def oversized(cls, megabytes: int = 10, status: int = 500) -> Fault:
        """An error whose body is ``megabytes`` MB of text."""
        return cls(status=status, body=b"x" * (megabytes << 20))

    @classmethod
    def cut_short(cls, declared: int = 1000, body: str = "0123456789") -> Fault:
        """An answer that declares ``declared`` bytes, sends ``body`` and hangs up."""
        return cls(status=200, body=body, content_type="application/json", length=declared)

    @classmethod
    def jwt(cls, exp: str, status: int = 200) -> Fault:
        """A login answer whose JWT has ``exp`` written as this JSON text (``1e18``, ``NaN``)."""
        claims = base64.urlsafe_b64encode(f'{{"sub":"demo","exp":{exp}}}'.encode())
        token = f"eyJhbGciOiJIUzI1NiJ9.{claims.decode().rstrip('=')}.c2lnbmF0dXJlLW5vdC1yZWFs"
        return cls(status=status, body=json.dumps(token), content_type="application/json")

    @classmethod
    def rate_limited(cls) -> Fault:
        """Jira Data Center's rate limiting: 429, ``X-RateLimit-*``, ``retry-after``, and
        Tomcat's HTML error page as the body."""
        html = "text/html;charset=utf-8"
        return cls(status=429, headers=_RATE_LIMIT_HEADERS, body=_TOMCAT_429, content_type=html)

    @classmethod
    def html_page(cls, status: int = 200) -> Fault:
        """A proxy's HTML login page: a 200 whose body is not what the client asked for."""
        return cls(status=status, body=_LOGIN_PAGE, content_type="text/html; charset=utf-8")

    @classmethod
    def dropped(cls) -> Fault:
        """Close the connection without answering, like a reset by a load balancer."""
        return cls(status=0, drop=True)

    @classmethod
    def dropped_after(cls) -> Fault:
        """Handle the request, then close the connection without answering: the work was
        done, and the client only sees the connection end."""
        return cls(status=0, drop_after=True)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Answer normally, but only after ``seconds``."""
        return cls(delay=seconds, passthrough=True)


def _gzipped(body: bytes) -> bytes:
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    return squeeze.compress(body) + squeeze.flush()


@functools.lru_cache(maxsize=4)
def _zeros_gzipped(megabytes: int) -> bytes:
    """``megabytes`` MB of zeros, gzipped a megabyte at a time (never held inflated)."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    parts = [squeeze.compress(block) for _ in range(megabytes)]
    return b"".join(parts) + squeeze.flush()


# Rate limits: standing, where a fault is for the next requests only


@dataclass(frozen=True)
class Limit:
    """A rate limit: a budget of requests per interval for a service, as the real ones keep.

    A limit covers every route under its name (``xray`` covers ``xray.graphql``, ...). Its
    window opens at the first request it sees and lasts ``seconds``; within it, the first
    ``requests`` are answered and the rest get 429, which does not spend the budget. When the
    window ends, the next request opens a new one. A refusal may carry ``Retry-After`` (whole
    seconds until the window ends), and an advertised limit puts ``X-RateLimit-Limit``,
    ``-Remaining`` and ``-Reset`` (whole seconds until the window ends) on every answer of the
    service, refusals included.
    """

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
