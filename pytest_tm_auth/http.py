"""Sessions that join a base URL, send a token, renew it once on 401, and retry transient faults.

Imported only when a provider is used: requests costs tens of milliseconds to import.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.exceptions import MaxRetryError, NewConnectionError, ReadTimeoutError
from urllib3.util.retry import Retry

from pytest_tm_auth.token import Token
from pytest_tm_auth.urls import is_loopback, join, origin_of

#: Statuses that mean "not processed, try again": rate limiting and gateway faults.
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
#: The longest ``Retry-After`` honoured, so one answer cannot stall a run for minutes.
MAX_RETRY_AFTER = 20.0
#: The longest pause between two attempts without ``Retry-After``.
MAX_BACKOFF = 8.0
#: All pauses of one request together never exceed this, however many retries are allowed.
MAX_TOTAL_WAIT = 30.0
BACKOFF_FACTOR = 0.5


@dataclass(frozen=True)
class Retried:
    """One retry: what went wrong with the attempt before it, and how long the pause was."""

    cause: str
    waited: float
    retry_after: bool = False


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
        self, *args: Any, log: RetryLog | None = None, waited: float = 0.0, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.log = log
        self.waited = waited

    def new(self, **kw: Any) -> BoundedRetry:
        retry = super().new(**kw)
        retry.log, retry.waited = self.log, self.waited
        return retry

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, MAX_RETRY_AFTER)

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
        try:
            return super().increment(method, url, response, error, _pool, _stacktrace)
        except MaxRetryError as exc:
            if response is not None or isinstance(exc, GaveUp):
                raise
            raise GaveUp(
                exc.pool, exc.url, exc.reason, attempts=len(self.history) + 1, waited=self.waited
            ) from exc.reason

    def sleep(self, response: Any = None) -> None:
        asked = None
        if response is not None and self.respect_retry_after_header:
            asked = self.get_retry_after(response)
        seconds = self.get_backoff_time() if asked is None else asked
        seconds = max(0.0, min(seconds, MAX_TOTAL_WAIT - self.waited))
        self.waited += seconds
        if self.log is not None:
            self.log.add(Retried(self._last_cause(), seconds, asked is not None))
        if seconds > 0:
            time.sleep(seconds)

    def _last_cause(self) -> str:
        if not self.history:
            return "unknown"
        last = self.history[-1]
        if last.status:
            return f"HTTP {last.status}"
        return describe_error(last.error)


def describe_error(error: Exception | None) -> str:
    """A few words for an attempt that got no answer: ``connection refused``, ..."""
    if isinstance(error, NewConnectionError):
        return "connection refused" if "refused" in str(error).lower() else "no connection"
    if error is not None and "timed out" in str(error).lower():
        return "connect timeout"
    return "connection dropped"


@dataclass(frozen=True)
class Transport:
    """The run's connection settings: applied to login calls and to every session."""

    timeout: float = 10.0
    retries: int = 3
    verify: bool | str = True

    def session(self, base_url: str = "", *, login: bool = False) -> ApiSession:
        """A session with these settings.

        ``login`` makes it a session for logging in: its POSTs are retried (a login is
        idempotent) and it follows no redirect, since a redirected login would carry the
        credentials to wherever the answer points.
        """
        session = ApiSession(
            base_url, timeout=self.timeout, verify=self.verify, follow_redirects=not login
        )
        retry_post = login
        methods = Retry.DEFAULT_ALLOWED_METHODS | ({"POST"} if retry_post else set())
        retry = BoundedRetry(
            total=self.retries,
            connect=self.retries,
            read=self.retries,
            status=self.retries,
            other=0,
            allowed_methods=methods,
            status_forcelist=TRANSIENT_STATUSES,
            backoff_factor=BACKOFF_FACTOR,
            backoff_max=MAX_BACKOFF,
            respect_retry_after_header=True,
            raise_on_status=False,
            raise_on_redirect=False,
            log=session.retries,
        )
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session


class NoAuth(AuthBase):
    """Sends no credentials; as a session's default auth, it keeps ``~/.netrc``'s out."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


class ApiSession(requests.Session):
    """A ``requests.Session`` bound to one API: relative paths join ``base_url``.

    The timeout applies unless a call passes its own. ``verify`` is passed on every request,
    so ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` cannot silently replace a chosen CA bundle.
    Requests to loopback never go through a proxy from the environment: a plain-http
    credential for this machine must not travel to a proxy on another.
    """

    def __init__(
        self,
        base_url: str = "",
        *,
        timeout: float = 10.0,
        verify: bool | str = True,
        follow_redirects: bool = True,
    ) -> None:
        super().__init__()
        self.follow_redirects = follow_redirects
        #: What the retries of this session did (see :class:`RetryLog`).
        self.retries = RetryLog()
        self.base_url = base_url
        self.timeout = timeout
        self.verify = verify
        self.auth = NoAuth()  # requests adds ~/.netrc credentials to a session without auth

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        full = join(self.base_url, url.decode() if isinstance(url, bytes) else url)
        kwargs.setdefault("timeout", self.timeout)
        if kwargs.get("verify") is None:
            kwargs["verify"] = self.verify
        if not self.follow_redirects:
            kwargs["allow_redirects"] = False
        if is_loopback(urlsplit(full).hostname or ""):
            # None wins over the environment's proxies and is then dropped by requests.
            kwargs["proxies"] = {"http": None, "https": None, "all": None}
        return super().request(method, full, *args, **kwargs)

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        if isinstance(request.url, str):
            request.url = join(self.base_url, request.url)
        return super().prepare_request(request)

    def rebuild_proxies(
        self, prepared_request: requests.PreparedRequest, proxies: Any
    ) -> dict[str, str]:
        """On a redirect to loopback, still no proxy from the environment (see the class)."""
        if is_loopback(urlsplit(str(prepared_request.url)).hostname or ""):
            return {}
        return super().rebuild_proxies(prepared_request, proxies)  # type: ignore[no-any-return,no-untyped-call]

    def rebuild_auth(
        self, prepared_request: requests.PreparedRequest, response: requests.Response
    ) -> None:
        """On a redirect, drop the credentials for another host, and never read ``~/.netrc``.

        requests' own version puts netrc's credentials in place of the token.
        """
        other_host = self.should_strip_auth(  # type: ignore[no-untyped-call]
            response.request.url, prepared_request.url
        )
        if other_host:
            prepared_request.headers.pop("Authorization", None)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url or '(no base URL)'}>"


class TokenAuth(AuthBase):
    """Sends the provider's current token; on a 401, renews it once and resends once.

    ``current`` returns a valid token (renewing one that is about to lapse); ``renew`` is
    given the header that was refused and returns a fresh token, or ``None`` when no
    better token can be had; ``futile`` hears of a fresh token refused at once, so that
    renewing again cannot help. With ``origin``, the token goes only to that scheme, host
    and port: an absolute URL elsewhere gets no credentials. Setting auth this way also
    stops ``~/.netrc`` replacing it. Modelled on ``requests.auth.HTTPDigestAuth``: the
    resent request keeps the history.
    """

    def __init__(
        self,
        current: Callable[[], Token],
        renew: Callable[[str], Token | None],
        futile: Callable[[str], None] | None = None,
        origin: str | None = None,
    ) -> None:
        self.current = current
        self.renew = renew
        self.futile = futile
        self.origin = origin_of(origin) if origin else None
        self._local = threading.local()

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self.origin is not None and origin_of(str(request.url)) != self.origin:
            return request
        request.headers["Authorization"] = self.current().header
        body: Any = request.body
        self._local.position = body.tell() if hasattr(body, "tell") else None
        request.register_hook("response", self._resend_after_renewal)  # type: ignore[no-untyped-call]
        return request

    def _resend_after_renewal(
        self, response: requests.Response, **kwargs: Any
    ) -> requests.Response:
        request = response.request
        if response.status_code != 401 or getattr(request, "_tm_auth_resent", False):
            return response
        refused = request.headers.get("Authorization")
        if not refused:  # a redirect to another host dropped it: the token is not for there
            return response
        fresh = self.renew(str(refused))
        if fresh is None:
            return response
        position = getattr(self._local, "position", None)
        body: Any = request.body
        if position is not None and hasattr(body, "seek"):
            body.seek(position)
        response.content  # noqa: B018 - drain, so the connection returns to the pool
        response.close()
        retry = request.copy()
        retry._tm_auth_resent = True  # type: ignore[attr-defined]
        retry.headers["Authorization"] = fresh.header
        resent = response.connection.send(retry, **kwargs)
        resent.history.append(response)
        resent.request = retry
        if resent.status_code == 401 and self.futile is not None:
            self.futile(fresh.header)
        return resent

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
