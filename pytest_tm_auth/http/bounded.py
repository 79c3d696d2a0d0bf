"""Bounded time, memory and retries whatever a server answers: a deadline per attempt,
capped bodies, and retries of transient faults with bounded pauses.

A socket timeout bounds each read, not the answer: a server that sends one byte every
second never trips it. Here each attempt of a request (connect, headers and body) gets a
watchdog that, at the deadline, shuts the connection's socket down, so the blocked read
ends at once; the request then fails as :class:`AnswerTooSlow`. Retries never follow a
deadline: the server is working, or dripping, and another try would double the wait.

Bodies of login answers are streamed and read only up to a limit (inflated with urllib3's
own bounded decoders), so a 10 MB error page or a gzip bomb costs a few KiB.

Transient faults (429, gateway errors, dropped connections) are retried by urllib3's
``Retry``; :class:`BoundedRetry` adds bounded pauses, 429 for every method, and a record
of what happened so that messages and the summary can tell it. Each attempt first waits for
a permit of the run's rate budget (:class:`RateBudget`), and tells it what the answer said
of the service's limits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import MaxRetryError, NewConnectionError, ReadTimeoutError
from urllib3.util.retry import Retry

from pytest_tm_auth.core.ratelimit import Permits, observed

#: The most of an error answer (status 400 and above) a login reads.
ERROR_BODY_LIMIT = 4 * 1024
#: The most of any other answer a login reads: a token, a user, a tenant's id.
ANSWER_LIMIT = 64 * 1024

_local = threading.local()


def _without_traceback(record: logging.LogRecord) -> bool:
    """urllib3 logs a header it cannot parse with its traceback; the words are enough."""
    record.exc_info, record.exc_text = None, None
    return True


# The one urllib3 log record with a traceback: "Failed to parse headers", at a server's whim.
logging.getLogger("urllib3.connection").addFilter(_without_traceback)


class AnswerTooSlow(requests.exceptions.Timeout):
    """The whole answer did not arrive within the deadline (however slowly it came)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no whole answer within {seconds:g} s")
        self.seconds = seconds


class Watch:
    """One request's watchdog: arms a timer per attempt, shuts the socket at the deadline."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def arm(self, connection: HTTPConnection) -> None:
        """A new attempt on ``connection`` starts now."""
        self.disarm()
        timer = threading.Timer(self.seconds, self._expire, (connection,))
        timer.daemon = True
        with self._lock:
            self.expired = False
            self._timer = timer
        timer.start()

    def disarm(self) -> None:
        """The attempt is over (its answer read, or a pause before the next one)."""
        with self._lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()

    def _expire(self, connection: HTTPConnection) -> None:
        with self._lock:
            if self._timer is None:
                return
            self.expired = True
        shut_down(connection.sock)


def shut_down(sock: socket.socket | None) -> None:
    """End every read on ``sock`` now; through a duplicate, so TLS state is left alone."""
    if sock is None:
        return
    try:
        duplicate = socket.socket(fileno=os.dup(sock.fileno()))
    except OSError:
        return
    with duplicate, contextlib.suppress(OSError):
        duplicate.shutdown(socket.SHUT_RDWR)


def current() -> Watch | None:
    """The watch of the request this thread is making, if any."""
    stack: list[Watch] = getattr(_local, "stack", [])
    return stack[-1] if stack else None


class watching:
    """Make a request under a :class:`Watch` of ``seconds`` per attempt (nestable)."""

    def __init__(self, seconds: float | None) -> None:
        self.watch = Watch(seconds) if seconds else None

    def __enter__(self) -> Watch | None:
        if self.watch is not None:
            _local.__dict__.setdefault("stack", []).append(self.watch)
        return self.watch

    def __exit__(self, *exc: object) -> None:
        if self.watch is not None:
            self.watch.disarm()
            _local.stack.remove(self.watch)


class _Watched:
    """Connection behaviour: each attempt (a request, or an HTTPS connect) arms the watch."""

    _tm_in_request = False

    def connect(self) -> None:
        watch = current()
        if watch is not None and not self._tm_in_request:  # HTTPS connects before request
            watch.arm(self)  # type: ignore[arg-type]
            self._tm_armed_by_connect = True
        super().connect()  # type: ignore[misc]

    def request(self, *args: Any, **kwargs: Any) -> None:
        watch = current()
        if watch is not None and not getattr(self, "_tm_armed_by_connect", False):
            watch.arm(self)  # type: ignore[arg-type]
        self._tm_armed_by_connect = False
        self._tm_in_request = True
        try:
            super().request(*args, **kwargs)  # type: ignore[misc]
        finally:
            self._tm_in_request = False


class WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


_POOLS = {"http": _HTTPPool, "https": _HTTPSPool}


class WatchedAdapter(HTTPAdapter):
    """requests' adapter, with connections that arm the request's watch."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = dict(_POOLS)
        return manager


def read_bounded(response: requests.Response, limit: int | None = None) -> None:
    """Read a streamed ``response``'s body, at most :data:`ERROR_BODY_LIMIT` of an error
    and :data:`ANSWER_LIMIT` of anything else (or ``limit``), inflated; what is left is
    never read.

    A body cut short or a connection lost midway raises requests' own errors.
    """
    if limit is None:
        limit = ERROR_BODY_LIMIT if response.status_code >= 400 else ANSWER_LIMIT
    if getattr(response, "_content_consumed", False):  # read already, e.g. by ``.content``
        kept = response._content
        response._content = kept[:limit] if isinstance(kept, bytes) else b""
        return
    try:
        data = response.raw.read(limit + 1, decode_content=True)
    except Urllib3Error as exc:
        response.close()
        raise requests.exceptions.ChunkedEncodingError(exc, response=response) from None
    except OSError as exc:
        response.close()
        raise requests.exceptions.ConnectionError(exc, response=response) from None
    response._content = data[:limit]
    response._content_consumed = True  # type: ignore[attr-defined]
    if len(data) > limit:  # the rest stays unread: this connection cannot be reused
        response.close()


#: Statuses that mean "not processed, try again": rate limiting and gateway faults.
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
#: The longest ``Retry-After`` honoured, so one answer cannot stall a run for minutes.
MAX_RETRY_AFTER = 20.0
#: The longest pause between two attempts without ``Retry-After``.
MAX_BACKOFF = 8.0
#: All pauses of one request together never exceed this, however many retries are allowed.
MAX_TOTAL_WAIT = 30.0
BACKOFF_FACTOR = 0.5


class Retried:
    """One retry: what went wrong with the attempt before it, and how long the pause was.

    A plain class: building a ``NamedTuple`` class costs every run's first login, which
    imports this module, and a retry is only ever read back by name.
    """

    __slots__ = ("cause", "retry_after", "waited")

    def __init__(self, cause: str, waited: float, retry_after: bool = False) -> None:
        self.cause = cause
        self.waited = waited
        self.retry_after = retry_after


class RetryLog:
    """Every retry a session made, oldest first, so messages and the summary can tell them."""

    def __init__(self) -> None:
        self._entries: list[Retried] = []
        self._lock = threading.Lock()

    def add(self, entry: Retried) -> None:
        with self._lock:
            self._entries.append(entry)

    @property
    def entries(self) -> list[Retried]:
        with self._lock:
            return list(self._entries)

    def describe(self) -> str:
        """``retried 2 times (HTTP 503, HTTP 503), waited 1.0 s``; ``""`` without retries."""
        entries = self.entries
        if not entries:
            return ""
        times = "once" if len(entries) == 1 else f"{len(entries)} times"
        causes = ", ".join(entry.cause for entry in entries)
        waited = sum(entry.waited for entry in entries)
        if not waited:
            return f"retried {times} ({causes})"
        asked = " as Retry-After asked" if any(entry.retry_after for entry in entries) else ""
        return f"retried {times} ({causes}), waited {waited:.1f} s{asked}"


class RateBudget:
    """A session's way to its service's share of the run's budget: a permit before each
    attempt (the first, and every retry), and each answer's news (a 429, the headers)."""

    def __init__(self, permits: Permits, service: str) -> None:
        self.permits = permits
        self.service = service

    def take(self) -> None:
        wait = self.permits.reserve(self.service)
        if wait > 0:
            time.sleep(wait)

    def learn(self, status: int, headers: Any) -> None:
        """Tell the budget what an answer said (a success ends a run of refusals)."""
        answer = observed(
            status,
            headers.get("X-RateLimit-Remaining"),
            headers.get("X-RateLimit-Reset"),
            retry_after_seconds(headers.get("Retry-After")),
        )
        self.permits.learn(self.service, answer)


class GaveUp(MaxRetryError):
    """Retries ran out on errors without an answer; says how many attempts and pauses it took."""

    def __init__(
        self,
        pool: Any,
        url: str | None,
        reason: Exception | None,
        *,
        attempts: int = 1,
        waited: float = 0.0,
    ) -> None:
        super().__init__(pool, url or "", reason)
        self.attempts = attempts
        self.waited = waited


class BoundedRetry(Retry):
    """urllib3's retry with bounded pauses, 429 retried for every method, and a record.

    A 429 means the request was not processed, so resending even a POST is safe; other
    faults on non-idempotent requests are left to the caller. A read timeout is never
    retried: the server may be working on the request, and retrying would multiply the
    wait. ``Retry-After`` is capped at :data:`MAX_RETRY_AFTER`, all pauses of one request
    at :data:`MAX_TOTAL_WAIT`. ``waited`` (this request) and ``log`` (the whole session)
    keep what happened, for messages.
    """

    def __init__(
        self,
        *args: Any,
        log: RetryLog | None = None,
        waited: float = 0.0,
        budget: RateBudget | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.log = log
        self.waited = waited
        self.budget = budget

    def new(self, **kw: Any) -> BoundedRetry:
        retry = super().new(**kw)
        retry.log, retry.waited, retry.budget = self.log, self.waited, self.budget
        return retry

    def get_retry_after(self, response: Any) -> float | None:
        """``Retry-After`` as servers send it (see :func:`retry_after_seconds`); never raises."""
        return retry_after_seconds(response.headers.get("Retry-After"))

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code == 429 and self.total:
            return True
        return super().is_retry(method, status_code, has_retry_after)

    def is_exhausted(self) -> bool:
        return super().is_exhausted() or self.waited >= MAX_TOTAL_WAIT

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> BoundedRetry:
        if isinstance(error, ReadTimeoutError):
            raise error
        watch = current()
        if watch is not None and watch.expired:  # the deadline ended it: never retried
            raise ReadTimeoutError(_pool, url, "the whole answer took too long")
        try:
            return super().increment(method, url, response, error, _pool, _stacktrace)
        except MaxRetryError as exc:
            if response is not None or isinstance(exc, GaveUp):
                raise
            raise GaveUp(
                exc.pool, exc.url, exc.reason, attempts=len(self.history) + 1, waited=self.waited
            ) from exc.reason

    def sleep(self, response: Any = None) -> None:
        watch = current()
        if watch is not None:  # the attempt is over, its answer drained: its deadline too
            watch.disarm()
        asked = None
        if response is not None and self.budget is not None:
            self.budget.learn(
                response.status, response.headers
            )  # every process waits for a 429, not this one only
        if response is not None and self.respect_retry_after_header:
            asked = self.get_retry_after(response)
        backoff = self.get_backoff_time()
        seconds = backoff if asked is None else max(asked, backoff)  # a date past: the backoff
        seconds = max(0.0, min(seconds, MAX_TOTAL_WAIT - self.waited))
        self.waited += seconds
        if self.log is not None:
            self.log.add(Retried(self._last_cause(), seconds, asked is not None))
        if seconds > 0:
            time.sleep(seconds)
        if self.budget is not None:  # the next attempt is a request too: it takes a permit
            self.budget.take()

    def _last_cause(self) -> str:
        if not self.history:
            return "unknown"
        last = self.history[-1]
        if last.status:
            return f"HTTP {last.status}"
        return describe_error(last.error)


def retry_after_seconds(text: str | None, now: float | None = None) -> float | None:
    """The pause a ``Retry-After`` asks for, capped at :data:`MAX_RETRY_AFTER`.

    Whole or fractional seconds, or an HTTP-date (one in the past asks for no pause). A
    negative number, ``inf``/``nan`` or anything else is ignored (``None``): the caller
    falls back to its backoff.
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        seconds: float | None = float(text)
    except ValueError:
        seconds = _date_seconds(text, time.time() if now is None else now)
    if seconds is None or not 0 <= seconds < float("inf"):  # also refuses nan
        return None
    return min(seconds, MAX_RETRY_AFTER)


def _date_seconds(text: str, now: float) -> float | None:
    from email.utils import parsedate_to_datetime

    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:  # RFC 9110 dates are GMT; "-0000" parses as naive
        from datetime import timezone

        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, moment.timestamp() - now)


def attempts_note(attempts: int, waited: float | None) -> str:
    """`` after 4 attempts, waited 3.0 s`` when retries happened, so a user knows they did."""
    if attempts <= 1:
        return ""
    return f" after {attempts} attempts" + (f", waited {waited:.1f} s" if waited else "")


def describe_error(error: Exception | None) -> str:
    """A few words for an attempt that got no answer: ``connection refused``, ..."""
    if isinstance(error, NewConnectionError):
        return "connection refused" if "refused" in str(error).lower() else "no connection"
    if error is not None and "timed out" in str(error).lower():
        return "connect timeout"
    return "connection dropped"
