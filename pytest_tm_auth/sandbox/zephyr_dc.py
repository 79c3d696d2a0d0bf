"""Zephyr Scale Data Center ``{jira}/rest/atm/1.0/``, behind Jira's login."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_tm_auth.sandbox.datacenter import signed_in
from pytest_tm_auth.sandbox.messages import Request, Response, json_response
from pytest_tm_auth.sandbox.state import State

__all__ = ["healthcheck", "search", "testcase", "testrun"]

_TESTCASES: dict[str, dict[str, Any]] = {
    "DEMO-T1": {
        "key": "DEMO-T1",
        "name": "Demo test case",
        "projectKey": "DEMO",
        "status": "Approved",
        "priority": "Normal",
    },
}


def _error(status: int, message: str) -> Response:
    return json_response(status, {"errorMessages": [message]})


@signed_in
def healthcheck(request: Request, state: State, params: Mapping[str, str], user: str) -> Response:
    """``GET .../rest/atm/1.0/healthcheck/``: the vendor CI plugin's credential check."""
    return json_response(200, {"status": "ok"})


@signed_in
def testcase(request: Request, state: State, params: Mapping[str, str], user: str) -> Response:
    """``GET .../testcase/{key}``."""
    found = _TESTCASES.get(params["key"])
    if found is None:
        return _error(404, f"Test case {params['key']} not found")
    return json_response(200, found)


@signed_in
def search(request: Request, state: State, params: Mapping[str, str], user: str) -> Response:
    """``GET .../testcase/search?query=projectKey = "DEMO"``: cases whose project is named."""
    query = request.param("query")
    if not query:
        return _error(400, "The query parameter is required")
    return json_response(200, [c for c in _TESTCASES.values() if c["projectKey"] in query])


@signed_in
def testrun(request: Request, state: State, params: Mapping[str, str], user: str) -> Response:
    """``POST .../testrun``: 201 with the new test run's key."""
    try:
        data = request.json()
    except ValueError:
        return _error(400, "The request body is not valid JSON")
    if not isinstance(data, dict) or not data.get("projectKey"):
        return _error(400, "projectKey is required")
    return json_response(201, {"id": 1, "key": f"{data['projectKey']}-C1"})
