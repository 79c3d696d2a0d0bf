"""The broker's desk for one provider: one login per run, shared by every xdist worker.

The desk holds the provider's token or failure as plain data (:mod:`.codec`) and never
logs in itself. The first worker that asks gets a *lease*: it logs in inside its own test
set-up (captured and scrubbed like any login) and publishes the token or the failure;
the others wait for it and get the same answer. A lease whose holder goes away without
publishing (its connection closed: a crash) is granted to the next worker that waits.
A worker whose token was refused asks to renew *that* token: the first such request gets
a renewal lease, every later one (for the same token) the new token; past the run's renewal
budget (one for all workers, the office's), the asking worker gets that failure instead.

Answers are plain data: ``{"token": ..., "target": ...}``, ``{"failure": ...}`` or
``{"lease": True, "renewal": bool, "supplied": {...}}``.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any, Protocol

from pytest_tm_auth.core.codec import Data, decode_token

#: How long a waiting worker sleeps between looks at a lease (a crash also wakes it).
TICK = 1.0


def fingerprint(header: str) -> str:
    """A token's ``Authorization`` header as a digest: what a worker says it holds."""
    return hashlib.sha256(header.encode()).hexdigest()


class Office(Protocol):
    """The controller's side of one provider, as the desk calls it (under the desk's lock)."""

    def before_login(self) -> Data | None:
        """Once per run, on first use: the credentials hook, missing credentials, a
        remembered token. A token or failure as plain data, or ``None`` to grant a lease."""
        ...

    def supplied(self) -> dict[str, Any]:
        """What the credentials hook supplied, for the lease holder's login."""
        ...

    def grant(self) -> Data | None:
        """Before each lease: ``None`` to grant it, or the answer to give instead (an
        account another provider had refused). May wait for such a provider's lease."""
        ...

    def spend_renewal(self) -> Data | None:
        """Count a renewal against the run's budget: ``None``, or the failure to answer the
        asking worker (only it: the budget comes back as its window moves on)."""
        ...

    def published(self, answer: Data | None, *, renewal: bool) -> None:
        """The lease ended: the holder's token or failure, or ``None`` (it went away)."""
        ...


class Desk:
    """One provider's token or failure for the run, and who holds the lease to log in."""

    def __init__(self, name: str, office: Office) -> None:
        self.name = name
        self._office = office
        self._cond = threading.Condition()
        self._answer: Data | None = None
        self._prepared = False
        self._leased = False
        self._holder = ""
        self._renewed: set[str] = set()
        #: The workers that were given the token or the failure.
        self.workers: set[str] = set()
        #: Leases granted (first logins and renewals); a crashed holder's lease counts too.
        self.leases = 0

    @property
    def answer(self) -> Data | None:
        return self._answer

    def settle(self, answer: Data) -> None:
        """Hold a token or failure found without a worker (the ssh fallback's login)."""
        with self._cond:
            self._prepared = True
            self._answer = answer
            self._cond.notify_all()

    def ask(self, worker: str, held: str | None = None) -> Data:
        """The answer for ``worker``; ``held`` is the fingerprint of a refused token.

        Waits while another worker holds the lease.
        """
        with self._cond:
            while self._leased:
                self._cond.wait(TICK)
            if not self._prepared:
                self._prepared = True
                early = self._office.before_login()
                if early is not None:
                    self._answer = early
            answer = self._answer
            renewing = answer is not None and self._renewable(answer, held)
            if renewing:
                spent = self._office.spend_renewal()
                if spent is not None:
                    return spent
            if answer is None or renewing:
                answer = self._office.grant()
                if answer is not None:
                    self._answer = answer
            if answer is not None:
                self.workers.add(worker)
                return answer
            self._leased = True
            self._holder = worker
            self.leases += 1
            return {"lease": True, "renewal": held is not None, "supplied": self._office.supplied()}

    def publish(self, answer: Data | None, held: str | None = None) -> None:
        """The lease holder's token or failure, or ``None``: it went away without one."""
        with self._cond:
            self._leased = False
            if answer is not None and not _valid(answer, self.name):
                answer = None
            if answer is not None:
                self._answer = answer
                self.workers.add(self._holder)
                if held is not None:
                    self._renewed.add(held)
            self._office.published(answer, renewal=held is not None)
            self._cond.notify_all()

    def _renewable(self, answer: Data, held: str | None) -> bool:
        """Whether ``held`` asks for a renewal that no one has made yet."""
        if held is None or held in self._renewed:
            return False
        token = decode_token(answer.get("token"), self.name)
        if token is None or token.static:
            return False  # a failure is final; static credentials are never renewed
        return fingerprint(str(token.header)) == held


def _valid(answer: Data, name: str) -> bool:
    """A token the codec can read, or a failure."""
    if isinstance(answer.get("failure"), dict):
        return True
    return decode_token(answer.get("token"), name) is not None
