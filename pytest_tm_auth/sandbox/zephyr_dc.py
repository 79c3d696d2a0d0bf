"""Zephyr Scale Data Center ``{jira}/rest/atm/1.0/``, behind Jira's login."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pytest_tm_auth.sandbox.catalog import Case, zephyr_cases
from pytest_tm_auth.sandbox.datacenter import signed_in
from pytest_tm_auth.sandbox.messages import Request, Response, json_response
from pytest_tm_auth.sandbox.paging import MAX_OFFSET, BadPage, OffsetRule
from pytest_tm_auth.sandbox.state import State

__all__ = ["PAGE", "healthcheck", "search", "testcase", "testrun"]

#: Zephyr Scale Data Center search: 200 a page unless asked (the vendor's default), and no
#: known upper limit. The answer is a bare list: a client pages by moving
#: startAt on by what it got, until a page comes back short or empty.
PAGE = OffsetRule(default=200, maximum=MAX_OFFSET)
_PROJECT_KEY = re.compile(r"projectKey\s*=\s*[\"']?([A-Za-z][A-Za-z0-9_]*)", re.IGNORECASE)


def _case(case: Case) -> dict[str, Any]:
    return {
        "key": case.key,
        "name": case.name,
        "projectKey": case.project,
        "status": "Approved",
        "priority": "Normal",
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
    for case in zephyr_cases():
        if case.key == params["key"]:
            return json_response(200, _case(case))
    return _error(404, f"Test case {params['key']} not found")


@signed_in
def search(request: Request, state: State, params: Mapping[str, str], user: str) -> Response:
    """``GET .../testcase/search?query=projectKey = "DEMO"&startAt=0&maxResults=200``."""
    query = request.param("query")
    if not query:
        return _error(400, "The query parameter is required")
    wanted = _PROJECT_KEY.search(query)
    found = [c for c in zephyr_cases() if wanted is None or c.project == wanted[1]]
    try:
        page = PAGE.page(found, request.param("startAt"), request.param("maxResults"))
    except BadPage as bad:
        return _error(400, str(bad))
    return json_response(200, [_case(case) for case in page.items])


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
