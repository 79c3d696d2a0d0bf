"""Tokens, targets and failures as plain data, and back: one pair for every boundary.

Plain data (dicts, lists, strings, numbers) is what crosses a process boundary (xdist's
``workerinput``) or lands in a store. Decoding never trusts its input: anything malformed
decodes to ``None``, never to an exception.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from pytest_tm_auth.core.errors import (
    AuthError,
    ConfigError,
    MissingCredentials,
    RenewalsRefused,
    TmAuthError,
)
from pytest_tm_auth.core.provider import Target
from pytest_tm_auth.core.token import Token
from pytest_tm_auth.core.values import Secret

Data = dict[str, Any]


def encode_token(token: Token) -> Data:
    return {
        "provider": token.provider,
        "scheme": token.scheme,
        "value": str(token.value),
        "expires_at": token.expires_at,
        "static": token.static,
    }


def decode_token(data: object, provider: str) -> Token | None:
    """The token ``data`` describes, issued for ``provider``; ``None`` when malformed."""
    if not isinstance(data, Mapping):
        return None
    value, scheme, expires_at = data.get("value"), data.get("scheme"), data.get("expires_at")
    if not (isinstance(value, str) and value and isinstance(scheme, str) and scheme):
        return None
    if expires_at is not None:
        if isinstance(expires_at, bool) or not isinstance(expires_at, (int, float)):
            return None
        try:
            expires_at = float(expires_at)
        except OverflowError:
            return None
        if not math.isfinite(expires_at):
            return None
    return Token(provider, Secret(value), scheme, expires_at, data.get("static") is True)


def encode_target(target: Target) -> list[Any]:
    return [target.deployment, target.url, target.api_url, list(target.credentials)]


def decode_target(data: object) -> Target | None:
    if not (isinstance(data, list) and len(data) == 4):
        return None
    deployment, url, api_url, credentials = data
    texts = (deployment, url, api_url)
    if not all(isinstance(text, str) for text in texts) or not isinstance(credentials, list):
        return None
    return Target(deployment, url, api_url, tuple(str(name) for name in credentials))


_KINDS: dict[type[TmAuthError], str] = {
    MissingCredentials: "missing",
    ConfigError: "config",
    AuthError: "auth",
    RenewalsRefused: "renewals",
}


def encode_failure(failure: TmAuthError, scrub: Callable[[str], str]) -> Data:
    """The failure as plain data, scrubbed: the receiver may not know a hook's secrets."""
    kind = next((name for cls, name in _KINDS.items() if isinstance(failure, cls)), "error")
    data: Data = {"kind": kind, "message": scrub(str(failure))}
    if isinstance(failure, AuthError):
        data |= {
            "provider": failure.provider,
            "url": scrub(failure.url),
            "problem": scrub(failure.problem),
            "fix": scrub(failure.fix),
            "status": failure.status,
            "refused": failure.credentials_refused,
        }
    return data


def decode_failure(data: Mapping[str, Any]) -> TmAuthError:
    """The failure again, with the very same message."""
    kind, message = data.get("kind"), str(data.get("message", ""))
    error: TmAuthError
    if kind == "auth":
        status = data.get("status")
        error = AuthError(
            str(data.get("provider", "")),
            str(data.get("url", "")),
            str(data.get("problem", "")),
            fix=str(data.get("fix", "")),
            status=status if isinstance(status, int) else None,
            credentials_refused=data.get("refused") is True,
        )
        error.args = (message,)  # a subclass may have worded it its own way
    elif kind == "missing":
        error = MissingCredentials(message)
    elif kind == "config":
        error = ConfigError(message)
    elif kind == "renewals":
        error = RenewalsRefused(message)
    else:
        error = TmAuthError(message)
    return error
