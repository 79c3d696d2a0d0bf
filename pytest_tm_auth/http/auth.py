"""The auth that sends a provider's token and owns the whole 401 cycle: renew once, resend once."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Protocol

import requests
from requests.auth import AuthBase

from pytest_tm_auth.core.urls import origin_of
from pytest_tm_auth.http.bounded import read_bounded

if TYPE_CHECKING:
    from pytest_tm_auth.core.token import Token


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
