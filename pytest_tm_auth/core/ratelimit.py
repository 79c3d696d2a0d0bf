"""One request budget per service for the whole run: what a request waits for before it goes.

A :class:`Budget` hands out permits as reservations: each permit is a moment, never more than
``requests`` of them within any ``seconds`` (plus a margin), so a caller learns at once how
long to wait and every later caller queues behind it, in this process or, through the
xdist broker, in any worker. A sliding window over reservations rather than a token bucket:
a bucket refills continuously and lets a full burst go at any moment, while the services
count fixed windows opened by the first request they see; reservations spaced by a whole
window (plus :func:`margin`, for the time between the permit and the request's arrival)
never put more than ``requests`` into any window the service may count.

What a service answers adjusts the budget for everyone: ``X-RateLimit-Remaining`` and
``-Reset`` cap what may go until the service's window ends, and a 429 closes the budget
for its ``Retry-After``, its reset, or (when it says neither) a pause that doubles with
each refusal. No pytest, no requests here: the clock is given, so tests pass a fake one.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Final, Protocol

from pytest_tm_auth.core.errors import TmAuthError
from pytest_tm_auth.core.values import Record

#: The default when a service has said nothing yet: Xray Cloud's published Standard limit.
XRAY_CLOUD = (300, 300.0)
#: The longest pause after a 429 that says neither ``Retry-After`` nor a reset.
MAX_PAUSE = 8.0
#: Permits are never held back longer than this unless the run's timeout allows more.
MIN_WAIT_BOUND = 60.0


class Rate(Record):
    """A budget: at most ``requests`` requests per ``seconds``."""

    __slots__ = ("requests", "seconds")  # the fields' order

    requests: Final[int]
    seconds: Final[float]

    def __init__(self, requests: int, seconds: float) -> None:
        self.requests = requests
        self.seconds = seconds

    def __str__(self) -> str:
        return f"{self.requests} request{'s' * (self.requests != 1)} per {self.seconds:g} s"


def margin(seconds: float) -> float:
    """How much longer than the service's window two reservations a window apart are kept:
    a request arrives a little after its permit, and the service's window opens on arrival."""
    return max(0.5, seconds * 0.05)


class WaitTooLong(TmAuthError):
    """A request would wait for its service's budget longer than the run allows."""


class Budget:
    """One service's permits (see the module); not thread-safe: :class:`Budgets` locks."""

    def __init__(self, rate: Rate | None) -> None:
        self.rate = rate
        self._granted: deque[float] = deque(maxlen=rate.requests if rate else 1)
        self._closed_until = float("-inf")
        self._allowance: int | None = None  # what the service said may still go ...
        self._until = float("-inf")  # ... until its window ends
        self._refusals = 0

    def reserve(self, now: float, longest: float = float("inf")) -> float | None:
        """The moment of the next permit (``now`` or later), taken; ``None``, and nothing
        taken, when it is more than ``longest`` seconds away."""
        slot = max(now, self._closed_until)
        rate = self.rate
        if rate is not None and len(self._granted) == rate.requests:
            slot = max(slot, self._granted[0] + rate.seconds + margin(rate.seconds))
        if now >= self._until:  # the service's window is over: what it said is too
            self._allowance = None
        held = self._allowance is not None and slot < self._until
        if held and self._allowance == 0:  # every request waits for the service's reset
            slot = self._until
            held = False
        if slot - now > longest:
            return None
        if held and self._allowance:
            self._allowance -= 1
        if rate is not None:
            self._granted.append(slot)
        return slot

    def learn(self, now: float, answer: Mapping[str, Any]) -> None:
        """Adjust to one answer (see :func:`observed`)."""
        remaining, reset = answer.get("remaining"), _seconds(answer.get("reset"))
        if type(remaining) is int and remaining >= 0 and reset is not None:
            until = now + reset
            if self._allowance is not None and abs(until - self._until) < 1.5:  # same window
                self._allowance = min(self._allowance, remaining)
                self._until = max(self._until, until)  # the later end is the safer one
            else:
                self._allowance, self._until = remaining, until
        if not answer.get("refused"):
            if now >= self._closed_until:
                self._refusals = 0
            return
        self._refusals += 1
        pause = _seconds(answer.get("retry_after"))
        if pause is None:
            pause = reset
        if pause is None:
            pause = min(MAX_PAUSE, 2.0 ** (self._refusals - 1))
        self._closed_until = max(self._closed_until, now + pause)


def _seconds(value: object) -> float | None:
    """A number of seconds from an answer (or a worker's message), if it is a sane one."""
    if type(value) not in (int, float):
        return None
    seconds = float(value)  # type: ignore[arg-type]
    return seconds if 0 <= seconds <= 86400 else None  # also refuses nan and inf


def observed(
    status: int, remaining: str | None, reset: str | None, retry_after: float | None
) -> dict[str, Any]:
    """An answer's news for the budget, as plain data (it may cross to the broker)."""
    answer: dict[str, Any] = {"refused": status == 429}
    try:
        left, ends = int(remaining or ""), reset_seconds(reset or "")
    except ValueError:
        pass
    else:
        if left >= 0 and 0 <= ends <= 86400:  # also refuses nan and inf
            answer |= {"remaining": left, "reset": ends}
    if retry_after is not None:
        answer["retry_after"] = retry_after
    return answer


class Permits(Protocol):
    """Where a session takes its permits: the run's :class:`Budgets`, or the xdist broker."""

    def reserve(self, service: str) -> float:
        """Seconds to wait before the request; raises :class:`WaitTooLong` past the bound."""
        ...

    def learn(self, service: str, answer: Mapping[str, Any]) -> None: ...


def reset_seconds(text: str, now: float | None = None) -> float:
    """``X-RateLimit-Reset`` as seconds from now: a number of seconds (the stand-in's, many
    services'), or an ISO 8601 moment (Jira Data Center's); ``ValueError`` otherwise."""
    try:
        return float(text)
    except ValueError:
        from datetime import datetime, timezone

        text = text.strip()
        if text.endswith(("Z", "z")):  # Python 3.10 reads no "Z"
            text = text[:-1] + "+00:00"
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return max(0.0, moment.timestamp() - (time.time() if now is None else now))


class Budgets:
    """The run's budgets by service name, behind one lock: a request's permit, the waits.

    ``rates`` holds each service's setting (its name and value, if set); ``default`` the
    rate of a service whose setting is unset (Xray Cloud's), asked once per service.
    ``bound`` is the longest a permit may wait: beyond, :class:`WaitTooLong`.
    """

    def __init__(
        self,
        rates: Mapping[str, tuple[str, Rate | None]],
        *,
        bound: float,
        default: Callable[[str], Rate | None] = lambda service: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rates = rates
        self._default = default
        self.bound = bound
        self._clock = clock
        self._lock = threading.Lock()
        self._budgets: dict[str, Budget] = {}
        #: Seconds requests waited for each service's budget, added up over the run.
        self.waited: dict[str, float] = {}
        self._elsewhere: Permits | None = None

    def alone(self) -> Budgets:
        """New budgets with the same rates and bound, of this process alone."""
        return Budgets(self._rates, bound=self.bound, default=self._default, clock=self._clock)

    def delegate(self, elsewhere: Permits) -> None:
        """Take permits from ``elsewhere`` (an xdist worker: the controller's broker)."""
        self._elsewhere = elsewhere

    def _budget(self, service: str) -> Budget:
        budget = self._budgets.get(service)
        if budget is None:
            rate = self._rates.get(service, ("", None))[1] or self._default(service)
            budget = self._budgets[service] = Budget(rate)
        return budget

    def reserve(self, service: str) -> float:
        """Seconds to wait before sending a request to ``service``; the permit is taken."""
        if self._elsewhere is not None:
            return self._elsewhere.reserve(service)
        with self._lock:
            budget = self._budget(service)
            now = self._clock()
            slot = budget.reserve(now, self.bound)
            if slot is None:
                raise WaitTooLong(self._too_long(service, budget))
            wait = slot - now
            if wait > 0:
                self.waited[service] = self.waited.get(service, 0.0) + wait
            return wait

    def learn(self, service: str, answer: Mapping[str, Any]) -> None:
        if self._elsewhere is not None:
            self._elsewhere.learn(service, answer)
            return
        with self._lock:
            self._budget(service).learn(self._clock(), answer)

    def _too_long(self, service: str, budget: Budget) -> str:
        setting = self._rates.get(service, ("", None))[0]
        limit = str(budget.rate) if budget.rate else "what it answered"
        bound = self.bound
        if not setting:
            return (
                f"{service}: a request would wait longer than {bound:g} s for the run's rate "
                f"budget ({limit}): make fewer requests"
            )
        option = "--" + setting.replace("_", "-")
        return (
            f"{service}: a request would wait longer than {bound:g} s for the run's rate "
            f"budget ({limit}): raise {option} if the service allows more, or make fewer requests"
        )

    def note(self, service: str) -> str:
        """``, requests waited 12.5 s in all for the rate budget``, when they waited."""
        with self._lock:
            waited = self.waited.get(service, 0.0)
        return (
            f", requests waited {waited:.1f} s in all for the rate budget" if waited >= 0.05 else ""
        )
