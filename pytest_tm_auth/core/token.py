"""The result of a login: a secret value plus what is known about its lifetime."""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import json
import math
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from datetime import datetime, timezone

from pytest_tm_auth.core.values import Secret

#: Renew a token this many seconds before it lapses, so a request never carries a dying token.
RENEW_BEFORE_EXPIRY = 60.0
FIELDS = ("provider", "value", "scheme", "expires_at", "static")
#: Who hides a token's value in output from the moment it exists: set around each login.
_LEARNER: ContextVar[Callable[..., None] | None] = ContextVar("tm_auth_learner", default=None)
#: Where a login answer holds what it issues (OAuth 2.0, OpenID Connect, most others).
ISSUED_FIELDS = ("access_token", "refresh_token", "id_token", "token")


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
        learn = _LEARNER.get()
        if learn is not None:  # born in a login: hidden before any hook or check sees it
            learn(str(value))
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

    def describe_expiry(self, now: float | None = None) -> str:
        """``expires 14:02 UTC`` today, ``expires 2026-12-02 14:02 UTC`` on another day, or
        an empty string when unknown (or not a time a calendar can show)."""
        if self.expires_at is None or not sane_time(self.expires_at):
            return ""
        return f"expires {utc_time(self.expires_at, today=time.time() if now is None else now)}"

    def has_expired(self, now: float | None = None) -> bool:
        """True when the token's own expiry is already past."""
        moment = time.time() if now is None else now
        return self.expires_at is not None and self.expires_at <= moment

    def unsendable(self) -> str:
        """Why the ``Authorization`` header cannot carry this token, or ``""`` when it can.

        Only printable ASCII goes into a header: a control character (CR/LF, NUL) would
        split or end the header, and other letters are encoded differently by each server.
        """
        return unsendable(str(self.value))


def utc_time(moment: float, *, today: float | None = None) -> str:
    """``2026-12-10 14:02 UTC``: how every message shows a moment (the one date formatter);
    ``14:02 UTC`` when it falls on the same UTC day as ``today``."""
    shown = datetime.fromtimestamp(moment, tz=timezone.utc)
    if today is not None and shown.date() == datetime.fromtimestamp(today, tz=timezone.utc).date():
        return f"{shown:%H:%M} UTC"
    return f"{shown:%Y-%m-%d %H:%M} UTC"


def iso_time(moment: float) -> str:
    """``2026-12-10T14:02:05+00:00``: a moment as services read it (ISO 8601 with offset).

    Each second is written once: a run's results share a few seconds among thousands of
    times, and ``datetime`` makes each anew at some 19 k instructions."""
    if 0 <= moment < 1e11:  # from 1970 to the year 5138: what a run's clock gives
        whole = math.floor(moment)  # datetime rounds the fraction alone to microseconds
        return _iso_second(whole + (round((moment - whole) * 1e6) >= 1_000_000))
    return _iso(moment)


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=timezone.utc).isoformat(timespec="seconds")


#: :func:`_iso` of a whole second, kept.
_iso_second = functools.lru_cache(maxsize=4096)(_iso)


def file_stamp(moment: float) -> str:
    """``20261210T140205``: a moment in UTC as a file name holds it (sorts as it happened)."""
    return f"{datetime.fromtimestamp(moment, tz=timezone.utc):%Y%m%dT%H%M%S}"


def time_left(seconds: float) -> str:
    """``4 days 23 hours``, ``5 hours 10 minutes``, ``1 minute``: the two largest units,
    rounded down, so it never promises more time than is left."""
    minutes = max(0, int(seconds // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    units = ((days, "day"), (hours, "hour")) if days else ((hours, "hour"), (minutes, "minute"))
    shown = [f"{count} {unit}{'s' * (count != 1)}" for count, unit in units if count]
    return " ".join(shown) or "less than a minute"


@contextlib.contextmanager
def learning(learn: Callable[..., None]) -> Iterator[None]:
    """Within (a login, in this thread): every token made, and every token a login answer
    holds (:func:`learn_answer`), is given to ``learn`` as it is born, before a hook sees it."""
    reset = _LEARNER.set(learn)
    try:
        yield
    finally:
        _LEARNER.reset(reset)


def learn_answer(body: bytes | str) -> None:
    """Give what a login answer issues to the current learner, as the answer is read.

    A JSON string (Xray's answer), or the :data:`ISSUED_FIELDS` of a JSON object: the values
    a response hook or a logging handler could print before a provider reads them.
    """
    learn = _LEARNER.get()
    if learn is None or not body or len(body) > 64 * 1024:
        return
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return
    found = [data] if isinstance(data, str) else []
    if isinstance(data, dict):
        found = [data[name] for name in ISSUED_FIELDS if isinstance(data.get(name), str)]
    for value in found:
        learn(*dict.fromkeys((value, value.strip())))


#: The latest expiry taken as a time (the calendar's end): a later ``exp`` means "unknown".
LATEST = 253402300799.0  # 9999-12-31 23:59:59 UTC


def sane_time(moment: float) -> bool:
    """A finite UNIX time that a calendar can show (1970 to 9999)."""
    return math.isfinite(moment) and 0 <= moment <= LATEST


def unsendable(text: str) -> str:
    """What in ``text`` cannot be sent in an HTTP header, in a few words; ``""`` if nothing."""
    for ch in text:
        if ch == "\0":
            return "a NUL character"
        if ch in "\r\n":
            return "a line break"
        if ord(ch) < 32 or ord(ch) == 127:
            return "a control character"
        if ord(ch) > 126:
            return "a character that is not ASCII"
    return ""


def jwt_expiry(value: str) -> float | None:
    """The ``exp`` claim of a JWT, unverified (we only need to know when to renew).

    ``None`` when there is none, or when it is not a time (see :func:`jwt_exp_problem`).
    """
    exp = _jwt_exp(value)
    return exp if isinstance(exp, float) else None


def jwt_exp_problem(value: str) -> str:
    """Why a JWT's ``exp`` claim cannot be used as a time, or ``""`` (none, or a good one)."""
    exp = _jwt_exp(value)
    return exp if isinstance(exp, str) else ""


def _jwt_exp(value: str) -> float | str | None:
    """The ``exp`` as a sane time, a few words on why it is not one, or ``None``."""
    parts = value.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:  # NaN, Infinity and 1e400 are read as floats; 10**400 as an int
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError, RecursionError):
        return None
    if not isinstance(claims, dict) or "exp" not in claims:
        return None
    exp = claims["exp"]
    if isinstance(exp, bool) or not isinstance(exp, (int, float)):
        return "its exp claim is not a number"
    try:
        moment = float(exp)
    except OverflowError:
        return "its exp claim is too large to be a time"
    if not sane_time(moment):
        return "its exp claim is not a time between 1970 and 9999"
    return moment
