"""Zephyr Scale, Cloud and Data Center.

Cloud ``/v2/``: a long-lived bearer JWT, lists paged by ``startAt``. Data Center
``{jira}/rest/atm/1.0/``: behind Jira's login.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

from pytest_tm_auth.sandbox.catalog import (
    PROJECTS,
    ZEPHYR_CYCLES,
    Case,
    zephyr_cases,
    zephyr_cycles,
    zephyr_executions,
)
from pytest_tm_auth.sandbox.demo import ZEPHYR_KEY, InvalidToken, decode_jwt
from pytest_tm_auth.sandbox.messages import Handler, Request, Response, json_response
from pytest_tm_auth.sandbox.paging import MAX_OFFSET, BadPage, OffsetRule
from pytest_tm_auth.sandbox.services.jira import signed_in
from pytest_tm_auth.sandbox.state import State

__all__ = [
    "CLOUD_PAGE",
    "DC_PAGE",
    "PROJECT_KEYS",
    "bearer",
    "dc_healthcheck",
    "dc_search",
    "dc_testcase",
    "healthcheck",
    "list_testexecutions",
    "projects",
    "testcase",
    "testcases",
    "testcycles",
]

_PROJECTS: list[dict[str, Any]] = [
    {"id": project_id, "jiraProjectId": project_id, "key": key, "enabled": True}
    for project_id, key, _ in PROJECTS
]
_PROJECT_IDS = {key: project_id for project_id, key, _ in PROJECTS}
PROJECT_KEYS = frozenset(_PROJECT_IDS)
#: Zephyr Scale Cloud: 10 a page unless asked; more than 1000 is answered with 1000 (the
#: API "reserves the right" to cut maxResults, and says so in the answer's maxResults).
CLOUD_PAGE = OffsetRule(default=10, maximum=1000)


def _error(status: int, message: str) -> Response:
    return json_response(status, {"errorCode": status, "message": message})


def bearer(handler: Handler) -> Handler:
    """Wrap ``handler`` so it runs only with a Zephyr Scale API token that verifies."""

    @functools.wraps(handler)
    def checked(request: Request, state: State, params: Mapping[str, str]) -> Response:
        credentials = request.credentials
        if credentials.scheme != "bearer" or not credentials.secret:
            return _error(401, "Authentication failed: no API access token given.")
        try:
            claims = decode_jwt(credentials.secret, ZEPHYR_KEY)
        except InvalidToken:
            return _error(401, "Authentication failed: the API access token is not valid.")
        response = handler(request, state, params)
        response.user = str(claims.get("sub"))
        return response

    return checked


def _page(request: Request, path: str, values: Sequence[dict[str, Any]]) -> Response:
    """A Zephyr Scale page: ``startAt``/``maxResults`` in, ``isLast`` and ``next`` out."""
    try:
        page = CLOUD_PAGE.page(values, request.param("startAt"), request.param("maxResults"))
    except BadPage as bad:
        return _error(400, str(bad))
    next_url = None
    if not page.is_last:
        kept = [
            (k, v) for k, v in parse_qsl(request.query, keep_blank_values=True) if k != "startAt"
        ]
        query = urlencode([*kept, ("startAt", str(page.next_start))])
        next_url = f"{request.base_url}{path}?{query}"
    return json_response(
        200,
        {
            "next": next_url,
            "startAt": page.start,
            "maxResults": page.size,
            "total": page.total,
            "isLast": page.is_last,
            "values": list(page.items),
        },
    )


def _in_project(request: Request, found: Iterable[Case]) -> list[Case]:
    key = request.param("projectKey")
    return [case for case in found if key is None or case.project == key]


def _project(key: str) -> dict[str, Any]:
    return {"id": _PROJECT_IDS.get(key, 0)}


def _case(request: Request, case: Case) -> dict[str, Any]:
    return {
        "id": case.id,
        "key": case.key,
        "name": case.name,
        "project": _project(case.project),
        "status": {"id": 1},
        "priority": {"id": 2},
        "self": f"{request.base_url}/v2/testcases/{case.key}",
    }


def _execution(request: Request, case: Case) -> dict[str, Any]:
    cycle = (case.id - 1) % ZEPHYR_CYCLES + 1
    return {
        "id": case.id,
        "key": case.key,
        "project": _project(case.project),
        "testCase": {"self": f"{request.base_url}/v2/testcases/{case.name}/versions/1"},
        "testCycle": {"id": cycle, "self": f"{request.base_url}/v2/testcycles/{cycle}"},
        "testExecutionStatus": {"id": 1 + case.id % 3},
    }


@bearer
def projects(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET /v2/projects``: the cheap authenticated check clients use."""
    return _page(request, "/v2/projects", _PROJECTS)


@bearer
def testcases(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET /v2/testcases?projectKey=DEMO``: the seeded test cases, paged."""
    found = _in_project(request, zephyr_cases())
    return _page(request, "/v2/testcases", [_case(request, case) for case in found])


@bearer
def testcase(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET /v2/testcases/{key}``."""
    for case in zephyr_cases():
        if case.key == params["key"]:
            return json_response(200, _case(request, case))
    return _error(404, f"Test case not found: {params['key']}")


@bearer
def testcycles(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET /v2/testcycles?projectKey=DEMO``: the seeded ones, then those created."""
    found = [
        {"id": c.id, "key": c.key, "name": c.name, "project": _project(c.project)}
        for c in _in_project(request, zephyr_cycles())
    ]
    key = request.param("projectKey")
    found += [
        {
            "id": c["id"],
            "key": c["key"],
            "name": c["name"],
            "description": c["description"] or None,
            "project": _project(c["project"]),
        }
        for c in state.created.zephyr.snapshot("cloud")
        if c["created"] and key in (None, c["project"])
    ]
    return _page(request, "/v2/testcycles", found)


@bearer
def list_testexecutions(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET /v2/testexecutions?projectKey=DEMO&testCycle=DEMO-R1``: the seeded ones, then
    those created (``testCycle``: only those created in that cycle)."""
    cycle = request.param("testCycle")
    seeded = [] if cycle else _in_project(request, zephyr_executions())
    found = [_execution(request, case) for case in seeded]
    key = request.param("projectKey")
    found += [
        e
        for e in state.created.executions
        if key in (None, e["projectKey"]) and cycle in (None, e["testCycleKey"])
    ]
    return _page(request, "/v2/testexecutions", found)


def healthcheck(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET /v2/healthcheck``: answers without checking the token, like the real one may."""
    return json_response(200, {"status": "UP"})


# Data Center

#: Zephyr Scale Data Center search: 200 a page unless asked (the vendor's default), and no
#: known upper limit. The answer is a bare list: a client pages by moving
#: startAt on by what it got, until a page comes back short or empty.
DC_PAGE = OffsetRule(default=200, maximum=MAX_OFFSET)
_PROJECT_KEY = re.compile(r"projectKey\s*=\s*[\"']?([A-Za-z][A-Za-z0-9_]*)", re.IGNORECASE)


def _dc_case(case: Case) -> dict[str, Any]:
    return {
        "key": case.key,
        "name": case.name,
        "projectKey": case.project,
        "status": "Approved",
        "priority": "Normal",
    }


def _dc_error(status: int, message: str) -> Response:
    return json_response(status, {"errorMessages": [message]})


@signed_in
def dc_healthcheck(
    request: Request, state: State, params: Mapping[str, str], user: str
) -> Response:
    """``GET .../rest/atm/1.0/healthcheck/``: the vendor CI plugin's credential check."""
    return json_response(200, {"status": "ok"})


@signed_in
def dc_testcase(request: Request, state: State, params: Mapping[str, str], user: str) -> Response:
    """``GET .../testcase/{key}``."""
    for case in zephyr_cases():
        if case.key == params["key"]:
            return json_response(200, _dc_case(case))
    return _dc_error(404, f"Test case {params['key']} not found")


@signed_in
def dc_search(request: Request, state: State, params: Mapping[str, str], user: str) -> Response:
    """``GET .../testcase/search?query=projectKey = "DEMO"&startAt=0&maxResults=200``."""
    query = request.param("query")
    if not query:
        return _dc_error(400, "The query parameter is required")
    wanted = _PROJECT_KEY.search(query)
    found = [c for c in zephyr_cases() if wanted is None or c.project == wanted[1]]
    try:
        page = DC_PAGE.page(found, request.param("startAt"), request.param("maxResults"))
    except BadPage as bad:
        return _dc_error(400, str(bad))
    return json_response(200, [_dc_case(case) for case in page.items])
