"""A publishing request, whatever the service: sent once through the run's session (its
token, renewal, timeout, retries, rate budget), its answer read bounded.

A request that creates or lands something is never retried once it may have reached the
service (urllib3 retries no POST after a read error, and
:func:`~pytest_tm_auth.http.session.sending` says a lost answer as such): its outcome is
unknown, and the journal says what to look for. A read (a search) that fails is only a
failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pytest_tm_auth.core.errors import AuthError, inert
from pytest_tm_auth.http.bounded import read_bounded
from pytest_tm_auth.http.diagnose import server_reason
from pytest_tm_auth.http.session import AnswerLost, explained, sending
from pytest_tm_auth.results.model import PublishError

if TYPE_CHECKING:
    from requests import Response

    from pytest_tm_auth.http.session import ApiSession

#: The least time a request that sends a whole run's results is given (an import, an
#: upload, a run made with every result): the service's work grows with the results.
IMPORT_TIMEOUT = 120.0
#: The most of an answer read: Data Center lists every imported key (10,000 fit).
ANSWER_LIMIT = 4 * 1024 * 1024
#: A gateway's answers: the request may have reached the service behind it, and taken effect.
GATEWAY_STATUSES = (502, 503, 504)


def answer(
    session: ApiSession,
    method: str,
    url: str,
    doing: str,
    *,
    title: str,
    fallback: bool = False,
    changes: bool = True,
    **kwargs: Any,
) -> str | None:
    """The 2xx answer's text (``None`` for a 404 with a ``fallback`` left); any other
    answer, or none, a :class:`PublishError` naming ``doing`` and the service (``title``).
    ``changes``: the request creates or lands something, so a lost answer, or a gateway's
    502/503/504, is an outcome unknown."""
    response = _response(
        session, method, url, doing, title=title, fallback=fallback, changes=changes, **kwargs
    )
    return None if response is None else response.text


def located(
    session: ApiSession, method: str, url: str, doing: str, *, title: str, **kwargs: Any
) -> tuple[str, str]:
    """:func:`answer` of a creation, with its ``Location`` header ("" when none): a 201 may
    name what it made there alone."""
    response = _response(
        session, method, url, doing, title=title, fallback=False, changes=True, **kwargs
    )
    assert response is not None  # no fallback: never None
    return response.text, inert(response.headers.get("Location") or "", 300)


def _response(
    session: ApiSession,
    method: str,
    url: str,
    doing: str,
    *,
    title: str,
    fallback: bool,
    changes: bool,
    **kwargs: Any,
) -> Response | None:
    try:
        with sending(title, url) if changes else explained(title, url):
            response = session.request(method, url, stream=True, **kwargs)
            with response:
                read_bounded(response, ANSWER_LIMIT)
    except AnswerLost as lost:
        raise PublishError(
            f"{doing}: {lost.problem}: the outcome is unknown", ambiguous=True
        ) from None
    except AuthError as error:  # no connection: the request never reached the service
        raise PublishError(f"{doing}: {error.problem} at {shown_url(url)}") from None
    if response.status_code == 404 and fallback:
        return None
    if not 200 <= response.status_code < 300:
        reason = server_reason(response)
        said = f"HTTP {response.status_code}" + (f": {reason}" if reason else "")
        if changes and response.status_code in GATEWAY_STATUSES:
            raise PublishError(
                f"{doing}: a gateway answered {said} at {shown_url(url)}: the request may have "
                f"reached {title} behind it: the outcome is unknown",
                ambiguous=True,
            )
        raise PublishError(f"{doing}: {title} answered {said} at {shown_url(url)}")
    return response


def shown_url(url: str) -> str:
    """The URL without its query (which may carry a search), inert."""
    parts = urlsplit(url)
    return inert(f"{parts.scheme}://{parts.netloc}{parts.path}", 200)


def long_timeout(session: ApiSession) -> float:
    """The timeout of a request that sends a whole run's results: the session's, at least
    :data:`IMPORT_TIMEOUT`."""
    return max(float(getattr(session, "timeout", 0) or 0), IMPORT_TIMEOUT)
