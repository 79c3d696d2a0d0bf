"""Sessions bound to one API: a base URL, explicit TLS settings, no ``~/.netrc``, no proxy
for loopback; the run's transport, which makes them with its timeout and retries; and the
auth that sends a provider's token and owns the whole 401 cycle (renew once, resend once).

Imported only when a provider is used: requests costs tens of milliseconds to import.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase
from urllib3.util.retry import Retry

from pytest_tm_auth.core.errors import AuthError
from pytest_tm_auth.core.urls import is_loopback, join, origin_of
from pytest_tm_auth.http.bounded import (
    BACKOFF_FACTOR,
    MAX_BACKOFF,
    TRANSIENT_STATUSES,
    AnswerTooSlow,
    BoundedRetry,
    RateBudget,
    RetryLog,
    WatchedAdapter,
    read_bounded,
    watching,
)

if TYPE_CHECKING:
    from pytest_tm_auth.core.ratelimit import Permits
    from pytest_tm_auth.core.token import Token


class Transport:
    """The run's connection settings: applied to login calls and to every session."""

    __slots__ = ("permits", "retries", "timeout", "verify")

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        retries: int = 3,
        verify: bool | str = True,
        permits: Permits | None = None,
    ):
        self.timeout = timeout
        self.retries = retries
        self.verify = verify
        #: The run's rate budgets: every request of a session for a service takes a permit.
        self.permits = permits

    def session(self, base_url: str = "", *, login: bool = False, service: str = "") -> ApiSession:
        """A session with these settings.

        ``login`` makes it a session for logging in: its POSTs are retried (a login is
        idempotent) and it follows no redirect, since a redirected login would carry the
        credentials to wherever the answer points. Each request (and each retry) to
        ``service`` takes a permit of the run's budget first.
        """
        budget = RateBudget(self.permits, service) if service and self.permits else None
        session = ApiSession(
            base_url,
            timeout=self.timeout,
            verify=self.verify,
            follow_redirects=not login,
            bounded=login,
        )
        session.budget = budget
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
            budget=budget,
        )
        adapter = WatchedAdapter(max_retries=retry)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    @contextlib.contextmanager
    def login_session(self, title: str, url: str, service: str = "") -> Iterator[ApiSession]:
        """A session for one login at ``url``; a network error in it becomes an AuthError."""
        session = self.session(login=True, service=service)
        try:
            with explained(title, url):
                yield session
        finally:
            session.close()

    def retries_of(self, http: requests.Session) -> str:
        """What the login session's retries did, for the summary."""
        log = getattr(http, "retries", None)
        return log.describe() if isinstance(log, RetryLog) else ""


#: What a login's HTTP calls answer: providers type against it without importing requests.
Response = requests.Response


@contextlib.contextmanager
def explained(title: str, url: str) -> Iterator[None]:
    """The one boundary where requests' exceptions stop: within, a request that got no
    answer (timeout, TLS, DNS, refused, dropped) or a credential that cannot be sent becomes
    the :class:`~pytest_tm_auth.core.errors.AuthError` that names ``url`` and the cause."""
    try:
        yield
    except (requests.RequestException, UnicodeError) as error:
        from pytest_tm_auth.http.network import explain_exception  # loaded on failure only

        raise explain_exception(title, url, error) from None


class AnswerLost(AuthError):
    """A request that changes something may have reached the service, but its answer was
    lost (dropped, cut short, too slow): whether it took effect is unknown."""


@contextlib.contextmanager
def sending(title: str, url: str) -> Iterator[None]:
    """:func:`explained`, for a request that changes something (creates, imports): a failure
    after the request may have reached the service raises :class:`AnswerLost`, one that
    stopped before it (no connection, DNS, TLS) the plain :class:`AuthError`."""
    try:
        yield
    except (requests.RequestException, UnicodeError) as error:
        from pytest_tm_auth.http.network import explain_exception, request_sent

        told = explain_exception(title, url, error)
        if request_sent(error):
            raise AnswerLost(told.provider, told.url, told.problem, fix=told.fix) from None
        raise told from None


class NoAuth(AuthBase):
    """Sends no credentials; as a session's default auth, it keeps ``~/.netrc``'s out."""

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        return request


class ApiSession(requests.Session):
    """A ``requests.Session`` bound to one API: relative paths join ``base_url``.

    The timeout applies unless a call passes its own. ``verify`` is passed on every request,
    so ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` cannot silently replace a chosen CA bundle.
    Requests to loopback never go through a proxy from the environment: a plain-http
    credential for this machine must not travel to a proxy on another. Each attempt of a
    request has the timeout for the whole answer (see :mod:`~pytest_tm_auth.http.bounded`);
    a ``bounded`` session (a login's) reads at most a few KiB of any body.
    """

    def __init__(
        self,
        base_url: str = "",
        *,
        timeout: float = 10.0,
        verify: bool | str = True,
        follow_redirects: bool = True,
        bounded: bool = False,
    ) -> None:
        super().__init__()
        self.bounded = bounded
        self._reading = False  # this request's body is read bounded (a login's)
        self.follow_redirects = follow_redirects
        #: What the retries of this session did (see :class:`RetryLog`).
        self.retries = RetryLog()
        self.base_url = base_url
        self.timeout = timeout
        self.verify = verify
        self.auth = NoAuth()  # requests adds ~/.netrc credentials to a session without auth
        #: The service's share of the run's rate budget, if it has one.
        self.budget: RateBudget | None = None

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
        timeout = kwargs["timeout"]
        seconds = float(timeout) if isinstance(timeout, (int, float)) else None
        if seconds is not None:  # the watch ends the attempt; a read's own timeout never first
            kwargs["timeout"] = (seconds, seconds + 1.0)
        bounded = self.bounded and not kwargs.get("stream")
        if bounded:
            kwargs["stream"] = True
        self._reading = bounded
        if self.budget is not None:
            self.budget.take()  # before the deadline starts: waiting is not the answer's time
        with watching(seconds) as watch:
            try:
                response = super().request(method, full, *args, **kwargs)
                if bounded and not response._content_consumed:  # type: ignore[attr-defined]
                    read_bounded(response)
                if watch is not None and watch.expired and seconds is not None:
                    # Headers cut at the deadline end like headers that ended: http.client
                    # hands over what came, so the deadline is the cause, not the answer.
                    response.close()
                    raise AnswerTooSlow(seconds)
                if self.budget is not None:
                    self.budget.learn(response.status_code, response.headers)
            except requests.RequestException:
                if watch is not None and watch.expired and seconds is not None:
                    raise AnswerTooSlow(seconds) from None
                raise
        return response

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """A login's answer is read, and the tokens it issues learned, before any response
        hook of a team's sees it (a hook that logs the answer logs it scrubbed)."""
        if self.bounded:
            hooks = request.hooks.get("response", [])
            request.hooks = {**request.hooks, "response": [self._learn_answer, *hooks]}
        return super().send(request, **kwargs)

    def _learn_answer(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        from pytest_tm_auth.core.token import learn_answer

        if self._reading:
            read_bounded(response)
        elif not kwargs.get("stream"):
            response.content  # noqa: B018 -- read now, as requests would right after the hooks
        if 200 <= response.status_code < 300 and response._content_consumed:  # type: ignore[attr-defined]
            learn_answer(response.content)

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


class Renewing(Protocol):
    """The token cache as the auth sees it (:class:`~pytest_tm_auth.core.cache.TokenCache`)."""

    def current(self) -> Token:
        """A valid token (one about to lapse is renewed first)."""
        ...

    def renew(self, refused: str) -> Token | None:
        """A fresh token after ``refused`` was refused, or ``None`` when none can help."""
        ...

    def futile(self, header: str) -> None:
        """A fresh token was refused at once: renewing it again cannot help."""
        ...


class TokenAuth(AuthBase):
    """Sends the provider's current token; on a 401, renews it once and resends once.

    Modelled on ``requests.auth.HTTPDigestAuth.handle_401``: the body is rewound, the old
    response drained and closed, the request copied and resent, the history kept; the
    position of the body is kept per thread. The ``tokens`` cache does the renewing under
    its own lock. With ``origin``, the token goes only to that scheme, host and port: an
    absolute URL elsewhere gets no credentials. Setting auth this way also stops
    ``~/.netrc`` replacing it.
    """

    def __init__(self, tokens: Renewing, origin: str | None = None) -> None:
        self.tokens = tokens
        self.origin = origin_of(origin) if origin else None
        self._local = threading.local()

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if self.origin is not None and origin_of(str(request.url)) != self.origin:
            return request
        request.headers["Authorization"] = self.tokens.current().header
        body: Any = request.body
        self._local.position = body.tell() if hasattr(body, "tell") else None
        request.register_hook("response", self.handle_401)  # type: ignore[no-untyped-call]
        return request

    def handle_401(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        """Renew the refused token once and resend the request once with the fresh one."""
        request = response.request
        if response.status_code != 401 or getattr(request, "_tm_auth_resent", False):
            return response
        refused = request.headers.get("Authorization")
        if not refused:  # a redirect to another host dropped it: the token is not for there
            return response
        fresh = self.tokens.renew(str(refused))
        if fresh is None:
            return response
        position = getattr(self._local, "position", None)
        body: Any = request.body
        if position is not None and hasattr(body, "seek"):
            body.seek(position)
        read_bounded(response)  # a few KiB at most: the rest is dropped with the connection
        response.close()
        retry = request.copy()
        retry._tm_auth_resent = True  # type: ignore[attr-defined]
        retry.headers["Authorization"] = fresh.header
        resent = response.connection.send(retry, **kwargs)
        resent.history.append(response)
        resent.request = retry
        if resent.status_code == 401:
            self.tokens.futile(fresh.header)
        return resent

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class FixedToken:
    """A token that never changes, for one request (a static credential being checked)."""

    def __init__(self, token: Token) -> None:
        self._token = token

    def current(self) -> Token:
        return self._token

    def renew(self, refused: str) -> Token | None:
        return None

    def futile(self, header: str) -> None:
        return None
