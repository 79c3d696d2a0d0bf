"""Zephyr Scale Cloud ``/v2/``: a long-lived bearer JWT, paged lists, a few resources."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from pytest_tm_auth.sandbox import jwt
from pytest_tm_auth.sandbox.demo import ZEPHYR_KEY
from pytest_tm_auth.sandbox.messages import Handler, Request, Response, json_response
from pytest_tm_auth.sandbox.state import State

__all__ = ["healthcheck", "projects", "testcase", "testcycles", "testexecutions"]

_PROJECTS: list[dict[str, Any]] = [
    {"id": 10000, "jiraProjectId": 10000, "key": "DEMO", "enabled": True},
    {"id": 10001, "jiraProjectId": 10001, "key": "SBX", "enabled": True},
]
_TESTCASES: dict[str, dict[str, Any]] = {
    "DEMO-T1": {
        "id": 1,
        "key": "DEMO-T1",
        "name": "Demo test case",
        "project": {"id": 10000},
        "status": {"id": 1},
        "priority": {"id": 2},
    },
}
_TESTCYCLES: list[dict[str, Any]] = [
    {"id": 1, "key": "DEMO-R1", "name": "Demo cycle", "project": {"id": 10000}},
    {"id": 2, "key": "SBX-R1", "name": "Sandbox cycle", "project": {"id": 10001}},
]


def _error(status: int, message: str) -> Response:
    return json_response(status, {"errorCode": status, "message": message})


def _bearer(handler: Handler) -> Handler:
    """Wrap ``handler`` so it runs only with a Zephyr Scale API token that verifies."""

    @functools.wraps(handler)
    def checked(request: Request, state: State, params: Mapping[str, str]) -> Response:
        credentials = request.credentials
        if credentials.scheme != "bearer" or not credentials.secret:
            return _error(401, "Authentication failed: no API access token given.")
        try:
            claims = jwt.decode(credentials.secret, ZEPHYR_KEY)
        except jwt.InvalidToken:
            return _error(401, "Authentication failed: the API access token is not valid.")
        response = handler(request, state, params)
        response.user = str(claims.get("sub"))
        return response

    return checked


def _page(request: Request, path: str, values: list[dict[str, Any]]) -> Response:
    """A Zephyr-style page honouring ``startAt`` and ``maxResults``."""
    try:
        start = int(request.param("startAt") or 0)
        size = int(request.param("maxResults") or 10)
    except ValueError:
        return _error(400, "startAt and maxResults must be whole numbers.")
    if start < 0 or size < 1:
        return _error(400, "startAt must be 0 or more and maxResults 1 or more.")
    chunk = values[start : start + size]
    is_last = start + size >= len(values)
    next_url = None if is_last else f"{request.base_url}{path}?startAt={start + size}"
    return json_response(
        200,
        {
            "next": next_url,
            "startAt": start,
            "maxResults": size,
            "total": len(values),
            "isLast": is_last,
            "values": chunk,
        },
    )


@_bearer
def projects(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET /v2/projects``: the cheap authenticated check clients use."""
    return _page(request, "/v2/projects", _PROJECTS)


@_bearer
def testcase(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET /v2/testcases/{key}``."""
    found = _TESTCASES.get(params["key"])
    if found is None:
        return _error(404, f"Test case not found: {params['key']}")
    return json_response(200, found)


@_bearer
def testcycles(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET /v2/testcycles?projectKey=DEMO``."""
    key = request.param("projectKey")
    ids = {p["id"] for p in _PROJECTS if key is None or p["key"] == key}
    return _page(request, "/v2/testcycles", [c for c in _TESTCYCLES if c["project"]["id"] in ids])


_EXECUTION_FIELDS = ("projectKey", "testCaseKey", "testCycleKey", "statusName")


@_bearer
def testexecutions(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``POST /v2/testexecutions``: 201 with the new execution's id."""
    try:
        data = request.json()
    except ValueError:
        return _error(400, "The request body is not valid JSON.")
    missing = [f for f in _EXECUTION_FIELDS if not isinstance(data, dict) or not data.get(f)]
    if missing:
        return _error(400, "Missing required fields: " + ", ".join(missing))
    return json_response(201, {"id": 1, "self": f"{request.base_url}/v2/testexecutions/1"})


def healthcheck(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET /v2/healthcheck``: answers without checking the token, like the real one may."""
    return json_response(200, {"status": "UP"})
