"""Bounded time and memory whatever a server answers: a deadline per attempt, capped bodies.

A socket timeout bounds each read, not the answer: a server that sends one byte every
second never trips it. Here each attempt of a request (connect, headers and body) gets a
watchdog that, at the deadline, shuts the connection's socket down, so the blocked read
ends at once; the request then fails as :class:`AnswerTooSlow`. Retries never follow a
deadline: the server is working, or dripping, and another try would double the wait.

Bodies of login answers are streamed and read only up to a limit (inflated with urllib3's
own bounded decoders), so a 10 MB error page or a gzip bomb costs a few KiB.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import HTTPError as Urllib3Error

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
