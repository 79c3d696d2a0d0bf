"""Turn a login's unusable answer into one sentence a user can act on.

Every message names the provider, the URL, the HTTP status and the server's own reason
(trimmed), then the likely fix. This module knows only what holds for any service
(redirects, statuses, HTML pages where an API should answer); a provider passes an
:data:`Adviser` for what only it understands (Xray's region, Jira's CAPTCHA).

A static credential is proved the same way, once (:func:`verify_token`): Jira, Zephyr Scale
and Xray Data Center issue no session token, and what a run needs is to know, once, that
the credential works, so that 200 tests do not each discover it does not. Team-written
providers use :func:`verify_token` the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Final
from urllib.parse import urlsplit

import requests

from pytest_tm_auth.core.errors import QUOTE_LIMIT, AuthError, inert
from pytest_tm_auth.core.provider import Login
from pytest_tm_auth.core.token import Token
from pytest_tm_auth.core.urls import join
from pytest_tm_auth.core.values import Record
from pytest_tm_auth.http.bounded import attempts_note
from pytest_tm_auth.http.session import FixedToken, TokenAuth, explained

REASON_LIMIT = QUOTE_LIMIT
#: Patterns, not compiled regexes: ``re`` compiles and caches them on first use, at a failure.
_TITLE = r"(?is)<title[^>]*>(.*?)</title>"

NOT_FOUND_FIX = "wrong base URL: nothing answers at this path; check the URL setting"
UNAVAILABLE_FIX = (
    "the service is rate-limiting or unavailable; try again later or raise --tm-auth-retries"
)


class Refusal(Record):
    """What a provider's adviser sees of a refused login: status, the server's own words on
    one line (see :func:`server_reason`), headers."""

    __slots__ = ("status", "reason", "headers")  # noqa: RUF023  # the fields' order

    status: Final[int]
    reason: Final[str]
    headers: Final[Mapping[str, str]]

    def __init__(self, status: int, reason: str, headers: Mapping[str, str]) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers


class Advice(Record):
    """A provider's reading of a refusal: its fix (``""``: the usual one for the status), and
    whether the credentials themselves were refused (``None``: as the status says, a 401)."""

    __slots__ = ("fix", "refused")  # the fields' order

    fix: Final[str]
    refused: Final[bool | None]

    def __init__(self, fix: str, refused: bool | None = None) -> None:
        self.fix = fix
        self.refused = refused


#: A provider's own explanations: advice for a refusal it recognises, else ``None``.
Adviser = Callable[[Refusal], "Advice | None"]


def answer_json(response: requests.Response) -> object:
    """The body as JSON, or ``None`` when it is not JSON: a body nested deeper than Python's
    parser goes (``[[[…]]]``) is not a usable answer either, and no hook's fault."""
    try:
        return json.loads(response.text)
    except (ValueError, RecursionError):
        return None


def server_reason(response: requests.Response) -> str:
    """The server's own words, on one line: a JSON error field, an HTML title, or the text.

    Made inert (:func:`~pytest_tm_auth.core.errors.inert`): no control characters or escape
    sequences, at most :data:`REASON_LIMIT` characters.
    """
    text = response.text or ""
    if is_html(response):
        match = re.search(_TITLE, text)
        title = inert(match.group(1)) if match else ""
        return f"an HTML page{f' titled {title!r}' if title else ''}"
    data = answer_json(response)
    if isinstance(data, dict):
        for key in ("error", "message", "errorMessage", "errorMessages", "errors"):
            try:  # a value nested deeper than repr goes is quoted as the server wrote it
                value = data.get(key)
                if isinstance(value, list):
                    value = "; ".join(str(v) for v in value)
                if value:
                    text = str(value)
                    break
            except RecursionError:
                break
    return inert(text, REASON_LIMIT)


def is_html(response: requests.Response) -> bool:
    kind = response.headers.get("Content-Type", "")
    return "html" in kind.lower() or response.text.lstrip()[:1] == "<"


def retries_note(response: requests.Response) -> str:
    """`` after 4 attempts, waited 3.0 s`` when the request was retried."""
    retries = getattr(response.raw, "retries", None)
    history = getattr(retries, "history", ()) if retries is not None else ()
    return attempts_note(len(history) + 1, getattr(retries, "waited", None))


def check_login_answer(
    title: str,
    url: str,
    response: requests.Response,
    *,
    expected: str = "the API",
    html_fix: str = "a proxy or SSO page answered; check the URL setting",
    fixes: Mapping[int, str] | None = None,
    credentials: str = "the credentials",
    advice: Adviser | None = None,
) -> None:
    """Raise an :class:`AuthError` unless a login call got a usable answer from the API.

    Refused: a redirect (login sessions follow none, so credentials never travel on), an
    error status, and an HTML page where the API should answer (a proxy's login form).
    """
    status = response.status_code
    if 300 <= status < 400:  # with or without a Location: a login answers, it does not send on
        location = urlsplit(response.headers.get("Location", ""))._replace(query="", fragment="")
        raise AuthError(
            title,
            url,
            f"HTTP {status} redirect to {inert(location.geturl()) or 'no address (no Location)'}",
            fix="a login is never sent on to another address: set the URL setting to the "
            "address the service really answers at",
            status=status,
        )
    if not response.ok:
        refusal = Refusal(status, server_reason(response), response.headers)
        raise explain(
            title,
            url,
            refusal,
            retries=retries_note(response),
            fixes=fixes,
            credentials=credentials,
            advice=advice,
        )
    if is_html(response):
        raise AuthError(
            title,
            url,
            f"HTTP {status} with an HTML page instead of {expected}",
            fix=html_fix,
            status=status,
        )


def explain(
    title: str,
    url: str,
    refusal: Refusal,
    *,
    retries: str = "",
    fixes: Mapping[int, str] | None = None,
    credentials: str = "the credentials",
    advice: Adviser | None = None,
) -> AuthError:
    """An :class:`AuthError` for a login refused with an error status.

    The provider's ``advice`` is asked first, then its ``fixes`` by status, then the
    generic wording of the status.
    """
    status = refusal.status
    status_text = f"HTTP {status}{retries}"
    problem = f"{status_text}: {refusal.reason}" if refusal.reason else status_text
    advised = advice(refusal) if advice is not None else None
    if advised is not None and advised.fix:
        fix = advised.fix
    elif fixes and status in fixes:
        fix = fixes[status]
    else:
        fix = generic_fix(status, credentials)
    refused = status == 401
    if advised is not None and advised.refused is not None:
        refused = advised.refused
    return AuthError(title, url, problem, fix=fix, status=status, credentials_refused=refused)


def generic_fix(status: int, credentials: str) -> str:
    """What any service's status means for the user."""
    if status == 400:
        return f"the service rejected the login request; check the format of {credentials}"
    if status == 401:
        return f"check {credentials}"
    if status == 403:
        return f"{credentials} were refused: the account lacks permission, or is not valid here"
    if status == 404:
        return NOT_FOUND_FIX
    if status == 429 or status >= 500:
        return UNAVAILABLE_FIX
    return ""


def verify_token(
    login: Login,
    token: Token,
    path: str,
    *,
    params: Mapping[str, str] | None = None,
    fixes: Mapping[int, str] | None = None,
    credentials: str = "the credentials",
    advice: Adviser | None = None,
) -> Token:
    """GET ``path`` (relative to the target's API base) with ``token``; return it if accepted.

    A non-2xx answer, an HTML page (a proxy's login form) or no answer becomes an
    :class:`AuthError` naming the URL, status, the server's reason and the fix: ``fixes``
    by status, and ``advice`` for refusals only the provider understands.
    """
    url = join(login.target.api_url, path)
    unsendable = token.unsendable()
    if unsendable:
        raise AuthError(
            login.provider.title,
            url,
            f"the token holds {unsendable}, which cannot be sent in an HTTP header",
            fix=f"copy {_named(login, token)} again from its source: keys and tokens are "
            "plain ASCII",
        )
    with explained(login.provider.title, url):
        response = login.http.get(url, params=params, auth=TokenAuth(FixedToken(token)))
    with response:
        check_login_answer(
            login.provider.title,
            url,
            response,
            fixes=fixes,
            credentials=credentials,
            advice=advice,
        )
    return token


def _named(login: Login, token: Token) -> str:
    """Which setting holds ``token`` and where it came from, or ``the token``."""
    for name, item in login.values.resolved.items():
        if item.setting.secret and item.value == str(token.value):
            return login.values.describe(name)
    return "the token"
