"""Scripted misbehaviour: what the next requests get instead of a normal answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Fault"]

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
    connection without a response; ``passthrough`` answers normally after the delay.
    """

    status: int = 503
    headers: Mapping[str, str] = field(default_factory=dict, hash=False)
    body: str = ""
    content_type: str = "text/plain"
    delay: float = 0.0
    drop: bool = False
    passthrough: bool = False

    def __post_init__(self) -> None:
        if not self.drop and not self.passthrough and not 100 <= self.status <= 599:
            raise ValueError(f"Fault status must be an HTTP status (100-599), not {self.status}")
        if self.delay < 0:
            raise ValueError("Fault delay must be 0 or more seconds")

    @classmethod
    def retry_after(cls, seconds: float, status: int = 429) -> Fault:
        """A rate-limit answer carrying ``Retry-After`` (whole seconds when possible)."""
        value = str(int(seconds)) if float(seconds).is_integer() else str(seconds)
        return cls(status=status, headers={"Retry-After": value}, body="Too Many Requests")

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
    def slow(cls, seconds: float) -> Fault:
        """Answer normally, but only after ``seconds``."""
        return cls(delay=seconds, passthrough=True)
