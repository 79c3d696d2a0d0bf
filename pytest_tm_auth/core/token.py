"""The result of a login: a secret value plus what is known about its lifetime."""

from __future__ import annotations

import base64
import binascii
import json
import time
from datetime import datetime, timezone

from pytest_tm_auth.core.secret import Secret

#: Renew a token this many seconds before it lapses, so a request never carries a dying token.
RENEW_BEFORE_EXPIRY = 60.0
FIELDS = ("provider", "value", "scheme", "expires_at", "static")


class Token:
    """A credential a session sends as ``Authorization: {scheme} {value}``.

    ``value`` is a :class:`Secret`: its ``repr`` is redacted, and so is this object's.
    ``expires_at`` is a UNIX time when the token says when it lapses (a JWT's ``exp``),
    else ``None``. ``static`` marks a credential that logging in again cannot replace (a
    personal access token, an API token, a password): a ``401`` is then final, and no
    second try is made that could lock the account. Immutable, compared by value.
    (A plain class: a dataclass costs a millisecond to define, on the first login of a run.)
    """

    __slots__ = ("expires_at", "provider", "scheme", "static", "value")

    provider: str
    value: Secret
    scheme: str
    expires_at: float | None
    static: bool

    def __init__(
        self,
        provider: str,
        value: str,
        scheme: str = "Bearer",
        expires_at: float | None = None,
        static: bool = False,
    ) -> None:
        fields = (provider, Secret(value), scheme, expires_at, static)
        for name, field_value in zip(FIELDS, fields, strict=True):
            object.__setattr__(self, name, field_value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Token is immutable: cannot set {name!r}")

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in FIELDS)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Token):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (
            f"Token(provider={self.provider!r}, scheme={self.scheme!r}, "
            f"expires_at={self.expires_at!r}, static={self.static!r})"
        )

    @classmethod
    def bearer(
        cls, provider: str, value: str, expires_at: float | None = None, *, static: bool = False
    ) -> Token:
        """A bearer token: one a login issued, or with ``static=True`` a fixed credential."""
        return cls(provider, Secret(value), "Bearer", expires_at, static)

    @classmethod
    def from_jwt(cls, provider: str, value: str) -> Token:
        """A bearer token issued by a login, expiring at its JWT ``exp`` claim."""
        return cls.bearer(provider, value, jwt_expiry(value))

    @classmethod
    def basic(cls, provider: str, username: str, password: str) -> Token:
        """HTTP basic credentials, sent on every request (nothing is exchanged)."""
        pair = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        return cls(provider, Secret(pair), "Basic", None, static=True)

    @property
    def header(self) -> Secret:
        """The ``Authorization`` header value."""
        return Secret(f"{self.scheme} {self.value}")

    def needs_renewal(self, now: float | None = None) -> bool:
        """True when the token lapses within :data:`RENEW_BEFORE_EXPIRY` seconds."""
        if self.expires_at is None:
            return False
        return (now if now is not None else time.time()) >= self.expires_at - RENEW_BEFORE_EXPIRY

    def describe_expiry(self) -> str:
        """``expires 14:02 UTC`` for summaries, or an empty string when unknown."""
        if self.expires_at is None:
            return ""
        moment = datetime.fromtimestamp(self.expires_at, tz=timezone.utc)
        return f"expires {moment:%H:%M} UTC"


def jwt_expiry(value: str) -> float | None:
    """The ``exp`` claim of a JWT, unverified (we only need to know when to renew)."""
    parts = value.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    return float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None
