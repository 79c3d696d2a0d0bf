"""Jira, Cloud and Data Center: who is signed in, ``/myself``, and the issue search.

Jira Cloud's site takes email + API token only (passwords are refused as on the real
site). Its other doors: ``/_edge/tenant_info``, ``serverInfo``, and the API gateway under
:data:`~pytest_tm_auth.sandbox.demo.GATEWAY_PATH` (as ``api.atlassian.com`` is
Atlassian's), where ``/gateway/ex/jira/{cloudId}/rest/api/{2,3}/myself`` accepts the
classic and the scoped API token (Basic) and the service account's OAuth access token
(Bearer).

Jira Data Center's login rules, shared by Xray and Zephyr Scale Data Center
(:func:`signed_in`): a personal access token or an OAuth access token as Bearer, or
``user:password`` as Basic; Seraph's headers on every answer; after repeated failed basic
logins the account needs a CAPTCHA (403).

The search: Jira Cloud removed the classic ``/rest/api/{2,3}/search`` in 2025
(CHANGE-2046): it answers 410 pointing to ``/search/jql``, the enhanced search, which pages
by an opaque ``nextPageToken`` (absent on the last page), says ``isLast`` and gives no
``total``. Jira Data Center keeps ``/rest/api/2/search``, paged by
``startAt``/``maxResults`` with ``total``. Both take the query in the URL (GET) or as a
JSON body (POST).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_tm_auth.sandbox import catalog
from pytest_tm_auth.sandbox.catalog import BadQuery, Issue
from pytest_tm_auth.sandbox.demo import DEMO
from pytest_tm_auth.sandbox.messages import (
    Handler,
    Request,
    Response,
    html_response,
    json_response,
    same_secret,
    text_response,
)
from pytest_tm_auth.sandbox.paging import BadPage, OffsetRule, next_token, token_offset, window
from pytest_tm_auth.sandbox.services.oauth import accepts
from pytest_tm_auth.sandbox.state import State

__all__ = [
    "CLOUD_PAGE",
    "DC_PAGE",
    "NOT_AUTHENTICATED",
    "PASSWORD_DEPRECATED",
    "REMOVED",
    "cloud_myself",
    "cloud_server_info",
    "dc_myself",
    "dc_search",
    "dc_server_info",
    "gateway_myself",
    "gateway_search_jql",
    "removed",
    "search_jql",
    "signed_in",
    "tenant_info",
]

NOT_AUTHENTICATED = {
    "message": "Client must be authenticated to access this resource.",
    "status-code": 401,
}
PASSWORD_DEPRECATED = (
    "Basic authentication with passwords is deprecated. For more information, see: "
    "https://developer.atlassian.com/cloud/confluence/deprecation-notice-basic-auth/"
)


def _user_answer(request: Request, who: str) -> Response:
    """``/myself``'s 200: the demo user (``who`` is recorded as the caller)."""
    user = {
        "self": f"{request.base_url}/rest/api/2/user?accountId={DEMO.jira_account_id}",
        "accountId": DEMO.jira_account_id,
        "accountType": "atlassian" if "@" in who else "app",
        "emailAddress": DEMO.jira_email,
        "displayName": DEMO.jira_display_name,
        "active": True,
        "timeZone": "Etc/UTC",
    }
    response = json_response(200, user)
    response.user = who
    return response


def _cloud_user(request: Request) -> str | Response:
    """Who the site's Basic email:API-token identifies, or the refusal Jira Cloud sends."""
    credentials = request.credentials
    if credentials.scheme == "basic" and credentials.user is not None:
        if credentials.user == DEMO.jira_email and same_secret(
            credentials.secret, DEMO.jira_api_token
        ):
            return DEMO.jira_email
        if credentials.user in {DEMO.jira_email, DEMO.jira_username} and same_secret(
            credentials.secret, DEMO.jira_password
        ):
            return text_response(401, PASSWORD_DEPRECATED)
    return json_response(401, NOT_AUTHENTICATED)


def cloud_myself(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET /rest/api/{2,3}/myself`` on Jira Cloud."""
    who = _cloud_user(request)
    return who if isinstance(who, Response) else _user_answer(request, who)


# Data Center's login

_DENIED_PAGE = """<!DOCTYPE html>
<html><head><title>Forbidden</title></head>
<body><p>You have tried to log in too many times. Log in through the browser and answer the
CAPTCHA before using the REST API again.</p></body></html>
"""

_SignedIn = Callable[[Request, State, Mapping[str, str], str], Response]


def _failed() -> Response:
    return json_response(401, NOT_AUTHENTICATED, {"X-Seraph-LoginReason": "AUTHENTICATED_FAILED"})


def _login(request: Request, state: State) -> Response | str:
    """The signed-in user name, or the refusal to send instead."""
    credentials = request.credentials
    if credentials.scheme == "bearer":
        if same_secret(credentials.secret, DEMO.jira_pat):
            return DEMO.jira_username
        client = accepts(state, credentials.secret, DEMO.dc_client_id)
        return client if client is not None else _failed()
    if credentials.scheme == "basic" and credentials.user is not None:
        user = credentials.user
        if state.login_denied(user):
            login_url = f"{request.base_url}/jira/login.jsp"
            headers = {
                "X-Seraph-LoginReason": "AUTHENTICATION_DENIED",
                "X-Authentication-Denied-Reason": f"CAPTCHA_CHALLENGE; login-url={login_url}",
            }
            return html_response(403, _DENIED_PAGE, headers)
        if user == DEMO.jira_username and same_secret(credentials.secret, DEMO.jira_password):
            state.login_succeeded(user)
            return user
        state.login_failed(user)
        return _failed()
    if credentials.scheme is None:
        return json_response(401, NOT_AUTHENTICATED)
    return _failed()


def signed_in(handler: _SignedIn) -> Handler:
    """Wrap ``handler`` so it runs only for a signed-in user, with Seraph's headers added."""

    @functools.wraps(handler)
    def checked(request: Request, state: State, params: Mapping[str, str]) -> Response:
        login = _login(request, state)
        if isinstance(login, Response):
            return login
        response = handler(request, state, params, login)
        response.headers.setdefault("X-Seraph-LoginReason", "OK")
        response.headers["X-AUSERNAME"] = login
        response.user = login
        return response

    return checked


@signed_in
def dc_myself(request: Request, state: State, params: Mapping[str, str], user: str) -> Response:
    """``GET {jira}/rest/api/2/myself`` on Data Center."""
    base = f"{request.base_url}/jira"
    return json_response(
        200,
        {
            "self": f"{base}/rest/api/2/user?username={user}",
            "key": "JIRAUSER10000",
            "name": user,
            "emailAddress": DEMO.jira_email,
            "displayName": DEMO.jira_display_name,
            "active": True,
            "timeZone": "Etc/UTC",
        },
    )


# Cloud's other doors: the tenant, serverInfo, the API gateway


def tenant_info(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET /_edge/tenant_info``: the site's cloud id, to anyone."""
    return json_response(200, {"cloudId": DEMO.jira_cloud_id})


def _gateway_user(request: Request, state: State, params: Mapping[str, str]) -> str | Response:
    """Who the gateway lets in (classic or scoped token, or an access token), or its refusal."""
    if params.get("cloud") != DEMO.jira_cloud_id:
        return json_response(404, {"message": "Cannot find site for the cloud id"})
    credentials = request.credentials
    tokens = (DEMO.jira_api_token, DEMO.jira_scoped_token)
    if (
        credentials.scheme == "basic"
        and credentials.user == DEMO.jira_email
        and any(same_secret(credentials.secret, token) for token in tokens)
    ):
        return DEMO.jira_email
    if credentials.scheme == "bearer":
        client = accepts(state, credentials.secret, DEMO.cloud_client_id)
        if client is not None:
            return client
    return json_response(401, NOT_AUTHENTICATED)


def gateway_myself(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET /gateway/ex/jira/{cloudId}/rest/api/{2,3}/myself`` through the API gateway."""
    who = _gateway_user(request, state, params)
    return who if isinstance(who, Response) else _user_answer(request, who)


def gateway_search_jql(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET|POST /gateway/ex/jira/{cloudId}/rest/api/{2,3}/search/jql``: as on the site."""
    who = _gateway_user(request, state, params)
    return who if isinstance(who, Response) else _search_jql_as(request, state, who)


def cloud_server_info(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET /rest/api/2/serverInfo`` on the Cloud site: ``deploymentType: Cloud``."""
    info = {"baseUrl": request.base_url, "version": "1001.0.0-SNAPSHOT"}
    return json_response(200, info | {"deploymentType": "Cloud"})


def dc_server_info(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET /jira/rest/api/2/serverInfo`` on Data Center: ``deploymentType: Server``."""
    info = {"baseUrl": request.base_url + "/jira", "version": "9.12.0"}
    return json_response(200, info | {"deploymentType": "Server"})


# The issue search

REMOVED = (
    "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. "
    "A full migration guideline is available at "
    "https://developer.atlassian.com/changelog/#CHANGE-2046"
)
UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)
#: search/jql: 50 a page unless asked, at most 100 (more is answered with 100).
CLOUD_PAGE = OffsetRule(default=50, maximum=100)
#: Data Center: 50 a page unless asked, at most 1000 (jira.search.views.default.max);
#: maxResults=0 is the usual way to ask for the total alone.
DC_PAGE = OffsetRule(default=50, maximum=1000, smallest=0)
_ALL_FIELDS = ("summary", "issuetype", "project", "status")


def _errors(status: int, message: str) -> Response:
    return json_response(status, {"errorMessages": [message], "errors": {}})


@dataclass(frozen=True)
class _Asked:
    jql: str
    start: str | int | None
    size: str | int | None
    token: str | None
    fields: Sequence[str] | None


def _asked(request: Request) -> _Asked:
    """The search as asked: query parameters for GET, a JSON object for POST."""
    if request.method == "GET":
        fields = request.param("fields")
        return _Asked(
            request.param("jql") or "",
            request.param("startAt"),
            request.param("maxResults"),
            request.param("nextPageToken"),
            None if fields is None else [f.strip() for f in fields.split(",") if f.strip()],
        )
    try:
        data = request.json()
    except ValueError:
        raise BadPage("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise BadPage("The request body must be a JSON object.")
    jql, token, fields = data.get("jql", ""), data.get("nextPageToken"), data.get("fields")
    if not isinstance(jql, str) or not (token is None or isinstance(token, str)):
        raise BadPage("jql and nextPageToken must be strings.")
    if fields is not None and not (
        isinstance(fields, list) and all(isinstance(f, str) for f in fields)
    ):
        raise BadPage("fields must be a list of field names.")
    numbers = [data.get(name) for name in ("startAt", "maxResults")]
    if not all(n is None or (isinstance(n, int) and not isinstance(n, bool)) for n in numbers):
        raise BadPage("startAt and maxResults must be whole numbers.")
    return _Asked(jql, numbers[0], numbers[1], token, fields)


def _issue(base: str, issue: Issue, fields: Sequence[str] | None) -> dict[str, Any]:
    """An issue as search answers it; ``fields=None`` means only the id (Cloud's default)."""
    if fields is None:
        return {"id": str(issue.id)}
    wanted = _ALL_FIELDS if {"*all", "*navigable"} & set(fields) else fields
    values = {
        "summary": issue.summary,
        "issuetype": {"name": issue.type},
        "project": {"key": issue.project},
        "status": {"name": issue.status},
        "labels": list(issue.labels),
    }
    return {
        "id": str(issue.id),
        "key": issue.key,
        "self": f"{base}/rest/api/2/issue/{issue.id}",
        "fields": {name: values[name] for name in wanted if name in values},
    }


def removed(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET|POST /rest/api/{2,3}/search`` on Jira Cloud: gone, as since 2025."""
    return _errors(410, REMOVED)


def _search_jql_as(request: Request, state: State, who: str) -> Response:
    """The enhanced search's answer for a caller already let in as ``who``."""
    try:
        asked = _asked(request)
        if not catalog.bounded(asked.jql):
            raise BadPage(UNBOUNDED)
        found = catalog.matching(state.created.xray.issues(), asked.jql)
        # "" is a token too (a garbage one): only an absent token starts the listing anew.
        offset = 0 if asked.token is None else token_offset(state.key, asked.token, asked.jql)
        _, size = CLOUD_PAGE.read(0, asked.size)
    except (BadPage, BadQuery) as bad:
        return _errors(400, str(bad))
    page = window(found, offset, size)
    body: dict[str, Any] = {
        "issues": [_issue(request.base_url, issue, asked.fields) for issue in page.items],
        "isLast": page.is_last,
    }
    if not page.is_last:
        body["nextPageToken"] = next_token(state.key, page.next_start, asked.jql)
    response = json_response(200, body)
    response.user = who
    return response


def search_jql(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET|POST /rest/api/{2,3}/search/jql`` on the Jira Cloud site."""
    who = _cloud_user(request)
    return who if isinstance(who, Response) else _search_jql_as(request, state, who)


@signed_in
def dc_search(request: Request, state: State, params: Mapping[str, str], user: str) -> Response:
    """``GET|POST {jira}/rest/api/2/search`` on Data Center: ``startAt``, ``total``."""
    try:
        asked = _asked(request)
        found = catalog.matching(state.created.xray.issues(), asked.jql)
        page = DC_PAGE.page(found, asked.start, asked.size)
    except (BadPage, BadQuery) as bad:
        return _errors(400, str(bad))
    fields = _ALL_FIELDS if asked.fields is None else asked.fields
    base = request.base_url + "/jira"
    return json_response(
        200,
        {
            "expand": "schema,names",
            "startAt": page.start,
            "maxResults": page.size,
            "total": page.total,
            "issues": [_issue(base, issue, fields) for issue in page.items],
        },
    )
