"""Everything the sandbox remembers between requests, behind locks.

Handler threads and the test thread both touch it, so every read returns a copy and every
change happens under a lock. :class:`Recorded` is what it keeps of each request (enough to
assert on, never a credential); :class:`Created`, what requests made, so that the lists
show it from then on (``Sandbox.reset()`` forgets it: the seeded data alone is left).
"""

from __future__ import annotations

import math
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pytest_tm_auth.sandbox.cycles import Cycles
from pytest_tm_auth.sandbox.demo import ExpiredToken, InvalidToken, decode_jwt, encode_jwt
from pytest_tm_auth.sandbox.executions import Executions
from pytest_tm_auth.sandbox.faults import Fault, RateLimits

__all__ = [
    "CAPTCHA_AFTER",
    "RECORDED_HEADERS",
    "Created",
    "Recorded",
    "State",
    "TokenRejected",
    "route_matches",
]

CAPTCHA_AFTER = 3  # failed basic logins before Jira Data Center asks for a CAPTCHA


def route_matches(route: str, wanted: str | None) -> bool:
    """``wanted`` names the route itself or a dotted prefix: ``xray`` matches ``xray.graphql``."""
    return wanted is None or route == wanted or route.startswith(wanted + ".")


class TokenRejected(Exception):
    """An Xray token the sandbox will not accept; ``reason`` is safe to send back."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


#: Request headers kept by name (lower-cased): informative ones that never carry a credential.
RECORDED_HEADERS = ("user-agent", "x-request-source")


@dataclass(frozen=True)
class Recorded:
    """One request as seen by the sandbox.

    ``auth`` is only the scheme (``"bearer"``, ``"basic"``, another lower-cased word, or
    ``None``) and ``user`` the user name it identified; ``status`` is 0 for a dropped
    connection; ``connection`` identifies the TCP connection; ``at`` is ``time.monotonic()``;
    ``headers`` holds those of :data:`RECORDED_HEADERS` the request sent, by lower-cased name;
    ``client`` who sent it (``messages.client_name``: a user name or a token's fingerprint).
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
    client: str = ""
    #: The request's body, kept only after ``Sandbox.keep_bodies()`` (a login's carries a
    #: secret: never shown).
    body: bytes = field(default=b"", hash=False, repr=False)


class Created:
    """Zephyr Scale test executions made by ``POST /v2/testexecutions``, oldest first;
    ``xray``, the Xray Test Executions made and the runs imported into any; ``zephyr``, the
    Zephyr Scale cycles and test runs made or filled."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executions: list[dict[str, Any]] = []
        self.xray = Executions()
        self.zephyr = Cycles()

    def add_execution(self, make: Callable[[int], dict[str, Any]], first_id: int) -> dict[str, Any]:
        """Store ``make(id)``, numbered on from ``first_id`` (the first id after the seeded)."""
        with self._lock:
            execution = make(first_id + len(self._executions))
            self._executions.append(execution)
            return execution

    @property
    def executions(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._executions)

    def clear(self) -> None:
        with self._lock:
            self._executions.clear()
        self.xray.clear()
        self.zephyr.clear()


OAUTH_LIFETIME = 3600  # Atlassian: "usually 1 hour"


class State:
    """Issued tokens, revocations, failed logins, pending faults, records and counters."""

    def __init__(self, token_lifetime: float) -> None:
        self.token_lifetime = token_lifetime
        self.key = secrets.token_bytes(32)  # per server: another sandbox's tokens are foreign
        self.tenant = "demo-tenant-" + secrets.token_hex(4)
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._issued: set[str] = set()
        self._expired: set[str] = set()
        self._revoked: set[str] = set()
        self._failed_logins: dict[str, int] = {}
        self._captcha = False
        self.single_use_tokens = False  # True: an Xray token is accepted once, then refused
        self.keep_bodies = False  # True: each record keeps its request's body
        self.oauth_lifetime = OAUTH_LIFETIME
        self._faults: list[tuple[str | None, Fault]] = []
        self._records: list[Recorded] = []
        self._connections = self._next_connection = 0
        self.created = Created()  # what requests made, such as Zephyr Scale executions
        self.rates = RateLimits()  # budgets per service, set by Sandbox.limit_rate

    # tokens

    def issue_xray_token(self, client_id: str, lifetime: float | None = None) -> str:
        """A signed token with the claims real Xray tokens carry; ``exp = iat + lifetime``."""
        lifetime = self.token_lifetime if lifetime is None else lifetime
        iat = math.floor(time.time())
        exp: float = iat + lifetime
        if float(exp).is_integer():
            exp = int(exp)
        jti = uuid.uuid4().hex
        claims: dict[str, Any] = {
            "tenant": self.tenant,
            "userKey": "demo-user-key",
            "iat": iat,
            "exp": exp,
            "aud": client_id,
            "iss": "com.xpandit.xray",
            "sub": client_id,
            "jti": jti,
        }
        with self._lock:
            self._issued.add(jti)
        return encode_jwt(claims, self.key)

    def check_xray_token(self, token: str) -> dict[str, Any]:
        """The token's claims, or :class:`TokenRejected` saying why not."""
        try:
            claims = decode_jwt(token, self.key)
        except ExpiredToken:
            raise TokenRejected("Authentication failed. Token expired!") from None
        except InvalidToken:
            raise TokenRejected("Authentication failed. Invalid token!") from None
        jti = claims.get("jti")
        with self._lock:
            if jti in self._expired:
                raise TokenRejected("Authentication failed. Token expired!")
            if jti in self._revoked or jti not in self._issued:
                raise TokenRejected("Authentication failed. Invalid token!")
            if self.single_use_tokens:
                self._revoked.add(jti)
        return claims

    def expire_tokens(self) -> None:
        with self._lock:
            self._expired |= self._issued

    def revoke_tokens(self) -> None:
        with self._lock:
            self._revoked |= self._issued

    # Jira Data Center login throttling

    @property
    def captcha(self) -> bool:
        with self._lock:
            return self._captcha

    @captcha.setter
    def captcha(self, value: bool) -> None:
        with self._lock:
            self._captcha = value

    def login_denied(self, user: str) -> bool:
        """Whether basic logins for ``user`` now need a CAPTCHA, as after repeated failures."""
        with self._lock:
            return self._captcha or self._failed_logins.get(user, 0) >= CAPTCHA_AFTER

    def login_failed(self, user: str) -> None:
        with self._lock:
            self._failed_logins[user] = self._failed_logins.get(user, 0) + 1

    def login_succeeded(self, user: str) -> None:
        with self._lock:
            self._failed_logins.pop(user, None)

    # faults

    def add_faults(self, faults: Iterable[Fault], route: str | None) -> None:
        with self._lock:
            self._faults.extend((route, fault) for fault in faults)

    def take_fault(self, route: str) -> Fault | None:
        """The oldest pending fault meant for ``route``, removed from the queue."""
        with self._lock:
            for index, (wanted, fault) in enumerate(self._faults):
                if route_matches(route, wanted):
                    del self._faults[index]
                    return fault
        return None

    # observation

    def record(self, entry: Recorded) -> None:
        with self._lock:
            self._records.append(entry)

    @property
    def records(self) -> list[Recorded]:
        with self._lock:
            return list(self._records)

    def new_connection(self) -> int:
        """Count an accepted TCP connection and give it an id (ids never repeat)."""
        with self._lock:
            self._connections += 1
            self._next_connection += 1
            return self._next_connection

    @property
    def connections(self) -> int:
        with self._lock:
            return self._connections

    def reset(self) -> None:
        """Forget records, counters, faults, revocations, logins, created data; keep tokens."""
        with self._lock:
            self._records.clear()
            self._connections = 0
            self._faults.clear()
            self._expired.clear()
            self._revoked.clear()
            self._failed_logins.clear()
            self._captcha = False
            self.single_use_tokens = self.keep_bodies = False
            self.created.clear()
            self.rates.clear()
            self.oauth_lifetime = OAUTH_LIFETIME
