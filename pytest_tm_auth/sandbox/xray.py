"""Xray Cloud: the client-credentials login and two token-protected endpoints."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from pytest_tm_auth.sandbox import xray_graphql
from pytest_tm_auth.sandbox.demo import DEMO
from pytest_tm_auth.sandbox.messages import (
    Handler,
    Request,
    Response,
    json_response,
    same_secret,
    text_response,
)
from pytest_tm_auth.sandbox.state import State, TokenRejected

__all__ = ["authenticate", "graphql", "import_execution"]

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
    """``POST /api/v2/graphql``: ``getTests``/``getTestExecutions`` paged, anything else echoed."""
    try:
        data = request.json()
    except ValueError:
        data = None
    query = data.get("query") if isinstance(data, dict) else None
    if not isinstance(query, str) or not query.strip():
        return json_response(400, {"errors": [{"message": "Must provide query string."}]})
    variables = data.get("variables") if isinstance(data, dict) else None
    paged = xray_graphql.answer(query, variables if isinstance(variables, dict) else {})
    if paged is not None:
        return paged
    return json_response(200, {"data": {"echo": {"query": query, "tenant": claims["tenant"]}}})


@_bearer
def import_execution(
    request: Request, state: State, params: Mapping[str, str], claims: dict[str, Any]
) -> Response:
    """``POST /api/v2/import/execution[/junit|/multipart|...]``: the created Test Execution."""
    if not params.get("format"):
        try:
            request.json()
        except ValueError:
            return json_response(400, {"error": "Invalid JSON in the request body."})
    issue = {"id": "10001", "key": "DEMO-10", "self": f"{request.base_url}/rest/api/2/issue/10001"}
    return json_response(200, issue)
