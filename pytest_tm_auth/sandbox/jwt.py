"""HS256 JSON Web Tokens, just enough to issue and check the sandbox's tokens.

Real Xray and Zephyr tokens are HS256 JWTs; clients read ``exp`` from them, so the stand-in
issues the same shape instead of opaque strings.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

__all__ = ["ExpiredToken", "InvalidToken", "decode", "encode"]

_HEADER = {"alg": "HS256", "typ": "JWT"}


class InvalidToken(ValueError):
    """Not a token this key signed (malformed, wrong algorithm, bad signature)."""


class ExpiredToken(InvalidToken):
    """Signed by this key, but ``exp`` has passed."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise InvalidToken("malformed token") from exc


def _part(data: Mapping[str, Any]) -> str:
    return _b64encode(json.dumps(data, separators=(",", ":")).encode())


def _sign(signing_input: str, key: bytes) -> str:
    return _b64encode(hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest())


def encode(claims: Mapping[str, Any], key: bytes) -> str:
    """Sign ``claims`` with ``key``: ``header.payload.signature``."""
    signing_input = f"{_part(_HEADER)}.{_part(claims)}"
    return f"{signing_input}.{_sign(signing_input, key)}"


def _load(part: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(part))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidToken("malformed token") from exc
    if not isinstance(value, dict):
        raise InvalidToken("malformed token")
    return value


def decode(token: str, key: bytes, *, now: float | None = None) -> dict[str, Any]:
    """Return the claims if ``key`` signed ``token`` and it has not expired; raise otherwise."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise InvalidToken("malformed token")
    header, payload, signature = parts
    if _load(header).get("alg") != "HS256":
        raise InvalidToken("unsupported algorithm")
    try:
        expected = _sign(f"{header}.{payload}", key)
    except UnicodeEncodeError as exc:
        raise InvalidToken("malformed token") from exc
    if not hmac.compare_digest(expected, signature):
        raise InvalidToken("bad signature")
    claims = _load(payload)
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise InvalidToken("no expiry")
    if (time.time() if now is None else now) >= exp:
        raise ExpiredToken("token expired")
    return claims
