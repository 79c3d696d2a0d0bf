"""Xray, Cloud and Data Center.

Cloud: the client-credentials login, then a bearer token for GraphQL and the imports. Its
GraphQL connections ``getTests`` and ``getTestExecutions`` page by Xray's rule: every
connection takes a ``limit`` of 1 to 100 (required) and an optional ``start``; the answer
carries ``total``, ``start``, ``limit`` and ``results``. A query that breaks the rule fails
schema validation, answered here as 400 with GraphQL ``errors``; the stand-in answers every
field it knows, whatever the selection asks for.

Data Center: REST under Jira's ``/rest/raven/``, behind Jira's own login.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from pytest_tm_auth.sandbox import catalog
from pytest_tm_auth.sandbox.catalog import BadQuery, Issue
from pytest_tm_auth.sandbox.demo import DEMO
from pytest_tm_auth.sandbox.messages import (
    Handler,
    Request,
    Response,
    json_response,
    same_secret,
    text_response,
)
from pytest_tm_auth.sandbox.paging import BadPage
from pytest_tm_auth.sandbox.services import xray_results
from pytest_tm_auth.sandbox.services.jira import signed_in
from pytest_tm_auth.sandbox.services.xray_graphql import (
    GRAPHQL_LIMIT,
    GraphQLSyntax,
    arguments,
    connection_window,
    graphql_errors,
    results_fields,
)
from pytest_tm_auth.sandbox.services.xray_results import DC_PAGE
from pytest_tm_auth.sandbox.state import State, TokenRejected

__all__ = [
    "CONNECTIONS",
    "DC_PAGE",
    "GRAPHQL_LIMIT",
    "authenticate",
    "dc_import_execution",
    "dc_tests",
    "graphql",
    "import_execution",
]

INVALID_CREDENTIALS = "Authentication failed. Invalid client credentials!"
OTHER_REGION = (
    "Xray data is in another region. Contact support to migrate Xray data to current region."
)
UNLICENSED = "The Xray license is not valid"

_KNOWN_CLIENTS = {
    DEMO.xray_client_id,
    DEMO.xray_other_region_client_id,
    DEMO.xray_unlicensed_client_id,
}


def authenticate(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``POST /api/v{1,2}/authenticate``: 200 with the JWT as a JSON string, as Xray does."""
    if request.media_type != "application/json":
        return text_response(400, "Bad Request: Content-Type must be application/json")
    try:
        data = request.json()
    except ValueError:
        return text_response(400, "Bad Request: the body is not valid JSON")
    if not isinstance(data, dict) or not all(
        isinstance(data.get(name), str) for name in ("client_id", "client_secret")
    ):
        return text_response(400, "Bad Request: client_id and client_secret are required")
    client_id: str = data["client_id"]
    if client_id not in _KNOWN_CLIENTS or not same_secret(
        data["client_secret"], DEMO.xray_client_secret
    ):
        return json_response(401, {"error": INVALID_CREDENTIALS})
    if client_id == DEMO.xray_other_region_client_id:
        return json_response(401, {"error": OTHER_REGION})
    if client_id == DEMO.xray_unlicensed_client_id:
        return text_response(401, UNLICENSED)
    return json_response(200, state.issue_xray_token(client_id))


_Protected = Callable[[Request, State, Mapping[str, str], dict[str, Any]], Response]


def _bearer(handler: _Protected) -> Handler:
    """Wrap ``handler`` so it runs only with a valid, unexpired, unrevoked Xray token."""

    @functools.wraps(handler)
    def checked(request: Request, state: State, params: Mapping[str, str]) -> Response:
        credentials = request.credentials
        if credentials.scheme != "bearer" or not credentials.secret:
            return json_response(401, {"error": "Authentication failed. Missing bearer token!"})
        try:
            claims = state.check_xray_token(credentials.secret)
        except TokenRejected as rejected:
            return json_response(401, {"error": rejected.reason})
        response = handler(request, state, params, claims)
        response.user = str(claims.get("aud"))
        return response

    return checked


@_bearer
def graphql(
    request: Request, state: State, params: Mapping[str, str], claims: dict[str, Any]
) -> Response:
    """``POST /api/v2/graphql``: ``getTests``/``getTestExecutions`` paged, the results'
    fields (:mod:`.xray_graphql`), anything else echoed."""
    try:
        data = request.json()
    except ValueError:
        data = None
    query = data.get("query") if isinstance(data, dict) else None
    if not isinstance(query, str) or not query.strip():
        return graphql_errors("Must provide query string.")
    variables = data.get("variables") if isinstance(data, dict) else None
    given = variables if isinstance(variables, dict) else {}
    try:
        answer = _paged(query, given, state) or results_fields(query, given, state)
    except (BadPage, BadQuery, GraphQLSyntax) as bad:
        return graphql_errors(str(bad))
    if answer is not None:
        return answer
    return json_response(200, {"data": {"echo": {"query": query, "tenant": claims["tenant"]}}})


@_bearer
def import_execution(
    request: Request, state: State, params: Mapping[str, str], claims: dict[str, Any]
) -> Response:
    """``POST /api/v2/import/execution[/junit|/multipart|...]``: the Test Execution.

    Xray JSON and JUnit XML are read and land (:mod:`.xray_results`); the other formats
    are not read yet and answer a fixed execution."""
    if not params.get("format"):
        return xray_results.cloud_import(request, state)
    if params["format"] == "junit":
        return xray_results.cloud_junit(request, state, params, claims)
    issue = {"id": "10001", "key": "DEMO-10", "self": f"{request.base_url}/rest/api/2/issue/10001"}
    return json_response(200, issue)


# Cloud's GraphQL connections, paged

#: The connections served, and the issue type each lists.
CONNECTIONS = {"getTests": "Test", "getTestExecutions": "Test Execution"}


def _result(issue: Issue) -> dict[str, Any]:
    project_id = next(pid for pid, key, _ in catalog.PROJECTS if key == issue.project)
    result: dict[str, Any] = {
        "issueId": str(issue.id),
        "projectId": str(project_id),
        "jira": {"key": issue.key, "summary": issue.summary},
    }
    if issue.test_type is not None:
        result["testType"] = {"name": issue.test_type, "kind": "Steps"}
    return result


def _connection(field: str, given: Mapping[str, Any], state: State) -> dict[str, Any]:
    page_start, page_size = connection_window(field, given)
    jql = given.get("jql")
    found = [i for i in state.created.xray.issues() if i.type == CONNECTIONS[field]]
    if isinstance(jql, str) and jql.strip():
        found = catalog.matching(found, jql)
    chunk = found[page_start : page_start + page_size]
    return {
        "total": len(found),
        "start": page_start,
        "limit": page_size,
        "results": [_result(issue) for issue in chunk],
    }


def _paged(query: str, variables: Mapping[str, Any], state: State) -> Response | None:
    """The answer to the paged connections ``query`` asks for; ``None`` if it asks for none.

    :class:`BadPage`, :class:`BadQuery` and :class:`GraphQLSyntax` are the caller's to answer.
    """
    data: dict[str, Any] = {}
    for field in CONNECTIONS:
        given = arguments(query, field, variables)
        if given is not None:
            data[field] = _connection(field, given, state)
    return json_response(200, {"data": data}) if data else None


# Data Center


def _test(issue: Issue) -> dict[str, Any]:
    return {"key": issue.key, "id": str(issue.id), "type": issue.test_type, "status": "TODO"}


@signed_in
def dc_tests(request: Request, state: State, params: Mapping[str, str], user: str) -> Response:
    """``GET .../rest/raven/1.0/api/test?jql=...&limit=100&page=2`` (or ``?keys=A;B``)."""
    found = [issue for issue in catalog.issues() if issue.type == "Test"]
    wanted = {key.strip() for key in (request.param("keys") or "").replace(";", ",").split(",")}
    wanted.discard("")
    if wanted:
        found = [issue for issue in found if issue.key in wanted]
    try:
        found = catalog.matching(found, request.param("jql") or "")
        start, size = xray_results.dc_window(request)
    except (BadPage, BadQuery) as bad:
        return json_response(400, {"error": str(bad)})
    return json_response(200, [_test(issue) for issue in found[start : start + size]])


@signed_in
def dc_import_execution(
    request: Request, state: State, params: Mapping[str, str], user: str
) -> Response:
    """``POST .../rest/raven/{1.0,2.0}/import/execution[/junit|...]``: the Test Execution.

    Xray JSON and JUnit XML are read and land (:mod:`.xray_results`); the other formats
    are not read yet and answer a fixed execution."""
    if not params.get("format"):
        return xray_results.dc_import(request, state)
    if params["format"] == "junit":
        return xray_results.dc_junit(request, state, params, user)
    issue = {
        "id": "10010",
        "key": "DEMO-10",
        "self": f"{request.base_url}/jira/rest/api/2/issue/10010",
    }
    return json_response(200, {"testExecIssue": issue})
