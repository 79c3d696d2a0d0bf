"""Sessions that join a base URL, send a token, renew it once on 401, and retry transient faults.

Imported only when a provider is used: requests costs tens of milliseconds to import.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase
from urllib3.util.retry import Retry

from pytest_tm_auth.token import Token
from pytest_tm_auth.urls import join

#: Statuses that mean "not processed, try again": rate limiting and gateway faults.
TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})
#: The longest ``Retry-After`` honoured, so one answer cannot stall a run for minutes.
MAX_RETRY_AFTER = 20.0
#: The longest pause between two attempts without ``Retry-After``.
MAX_BACKOFF = 8.0
BACKOFF_FACTOR = 0.5


class BoundedRetry(Retry):
    """urllib3's retry, with ``Retry-After`` capped and 429 retried for every method.

    A 429 means the request was not processed, so resending even a POST is safe; other
    faults on non-idempotent requests are left to the caller.
    """

    DEFAULT_BACKOFF_MAX = int(MAX_BACKOFF)

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, MAX_RETRY_AFTER)

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code == 429 and self.total:
            return True
        return super().is_retry(method, status_code, has_retry_after)


@dataclass(frozen=True)
class Transport:
    """The run's connection settings: applied to login calls and to every session."""

    timeout: float = 10.0
    retries: int = 3
    verify: bool | str = True

    def session(self, base_url: str = "", *, retry_post: bool = False) -> ApiSession:
        """A session with these settings; ``retry_post`` for idempotent POSTs such as logins."""
        session = ApiSession(base_url, timeout=self.timeout, verify=self.verify)
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
            respect_retry_after_header=True,
            raise_on_status=False,
            raise_on_redirect=False,
        )
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session


class ApiSession(requests.Session):
    """A ``requests.Session`` bound to one API: relative paths join ``base_url``.

    The timeout applies unless a call passes its own. ``verify`` is passed on every request,
    so ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` cannot silently replace a chosen CA bundle.
    """

    def __init__(self, base_url: str = "", *, timeout: float = 10.0, verify: bool | str = True):
        super().__init__()
        self.base_url = base_url
        self.timeout = timeout
        self.verify = verify

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        text = url.decode() if isinstance(url, bytes) else url
        kwargs.setdefault("timeout", self.timeout)
        if kwargs.get("verify") is None:
            kwargs["verify"] = self.verify
        return super().request(method, join(self.base_url, text), *args, **kwargs)

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        if isinstance(request.url, str):
            request.url = join(self.base_url, request.url)
        return super().prepare_request(request)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url or '(no base URL)'}>"


class TokenAuth(AuthBase):
    """Sends the provider's current token; on a 401, renews it once and resends once.

    ``current`` returns a valid token (renewing one that is about to lapse); ``renew`` is
    given the header that was refused and returns a fresh token, or ``None`` when no
    better token can be had. Setting auth this way also stops ``~/.netrc`` replacing it.
    Modelled on ``requests.auth.HTTPDigestAuth``: the resent request keeps the history.
    """

    def __init__(self, current: Callable[[], Token], renew: Callable[[str], Token | None]) -> None:
        self.current = current
        self.renew = renew
        self._local = threading.local()

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
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
        fresh = self.renew(str(request.headers.get("Authorization", "")))
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
        return resent

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
