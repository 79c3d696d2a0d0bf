"""Jira's issue search, as each deployment serves it.

Jira Cloud removed the classic ``/rest/api/{2,3}/search`` in 2025 (CHANGE-2046): it answers
410 pointing to ``/search/jql``, the enhanced search, which pages by an opaque
``nextPageToken`` (absent on the last page), says ``isLast`` and gives no ``total``. Jira
Data Center keeps ``/rest/api/2/search``, paged by ``startAt``/``maxResults`` with ``total``.
Both take the query in the URL (GET) or as a JSON body (POST).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_tm_auth.sandbox import catalog, jira
from pytest_tm_auth.sandbox.catalog import BadQuery, Issue
from pytest_tm_auth.sandbox.datacenter import signed_in
from pytest_tm_auth.sandbox.messages import Request, Response, json_response
from pytest_tm_auth.sandbox.paging import BadPage, OffsetRule, next_token, token_offset, window
from pytest_tm_auth.sandbox.state import State

__all__ = [
    "CLOUD_PAGE",
    "DC_PAGE",
    "REMOVED",
    "dc_search",
    "removed",
    "search_jql",
    "search_jql_as",
]

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


def search_jql_as(request: Request, state: State, who: str) -> Response:
    """The enhanced search's answer for a caller already let in as ``who``."""
    try:
        asked = _asked(request)
        if not catalog.bounded(asked.jql):
            raise BadPage(UNBOUNDED)
        found = catalog.matching(catalog.issues(), asked.jql)
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
    who = jira.cloud_user(request)
    return who if isinstance(who, Response) else search_jql_as(request, state, who)


@signed_in
def dc_search(request: Request, state: State, params: Mapping[str, str], user: str) -> Response:
    """``GET|POST {jira}/rest/api/2/search`` on Data Center: ``startAt``, ``total``."""
    try:
        asked = _asked(request)
        found = catalog.matching(catalog.issues(), asked.jql)
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
