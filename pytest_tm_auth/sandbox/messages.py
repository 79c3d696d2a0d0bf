"""The request and response values that route handlers take and give, free of sockets."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias
from urllib.parse import parse_qs

if TYPE_CHECKING:
    from pytest_tm_auth.sandbox.state import State

__all__ = [
    "Credentials",
    "Handler",
    "Request",
    "Response",
    "client_name",
    "html_response",
    "json_response",
    "same_secret",
    "text_response",
]


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison, so response timing says nothing about the secret."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@dataclass(frozen=True)
class Credentials:
    """A parsed ``Authorization`` header; ``secret`` is compared, never stored or shown."""

    scheme: str | None = None
    user: str | None = None
    secret: str = field(default="", repr=False)


def parse_authorization(value: str | None) -> Credentials:
    """Split ``Basic``/``Bearer`` (or another scheme) into scheme, user name and secret."""
    if not value or not value.strip():
        return Credentials()
    scheme, _, rest = value.strip().partition(" ")
    word = scheme.lower() if scheme.isalnum() and len(scheme) <= 20 else "unknown"
    rest = rest.strip()
    if word == "basic":
        try:
            decoded = base64.b64decode(rest, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return Credentials("basic")
        user, sep, password = decoded.partition(":")
        return Credentials("basic", user if sep else None, password)
    return Credentials(word, None, rest)


def client_name(credentials: Credentials) -> str:
    """Who sent a request, for counting: ``basic:user``, or the scheme and a short
    fingerprint of the token (never the token), or ``anonymous``."""
    if credentials.scheme is None:
        return "anonymous"
    if credentials.scheme == "basic":
        return f"basic:{credentials.user or '?'}"
    digest = hashlib.sha256(credentials.secret.encode("utf-8")).hexdigest()[:10]
    return f"{credentials.scheme}:{digest}"


@dataclass(frozen=True)
class Request:
    """An HTTP request; ``headers`` has lower-cased names, ``base_url`` is the server's URL."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str] = field(repr=False)  # carries Authorization
    body: bytes = field(repr=False)  # may carry a client secret
    base_url: str = ""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def credentials(self) -> Credentials:
        return parse_authorization(self.header("authorization"))

    def param(self, name: str) -> str | None:
        values = parse_qs(self.query, keep_blank_values=True).get(name)
        return values[0] if values else None

    @property
    def media_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """The body as JSON; ``ValueError`` when it is not."""
        return json.loads(self.body.decode("utf-8"))


@dataclass
class Response:
    """What to send back; ``user`` is who the credentials identified, for the record."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    user: str | None = None


def json_response(status: int, data: object, headers: Mapping[str, str] | None = None) -> Response:
    body = json.dumps(data, separators=(",", ":")).encode("utf-8")
    return Response(status, body, "application/json;charset=UTF-8", dict(headers or {}))


def text_response(status: int, text: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(status, text.encode("utf-8"), "text/plain;charset=UTF-8", dict(headers or {}))


def html_response(status: int, html: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(status, html.encode("utf-8"), "text/html;charset=UTF-8", dict(headers or {}))


Handler: TypeAlias = "Callable[[Request, State, Mapping[str, str]], Response]"
"""A route's answer to a request, given the shared state and the path's named groups."""
