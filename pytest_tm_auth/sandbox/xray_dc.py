"""Xray Data Center: REST under Jira's ``/rest/raven/``, with Jira's own login."""

from __future__ import annotations

from collections.abc import Mapping

from pytest_tm_auth.sandbox.datacenter import signed_in
from pytest_tm_auth.sandbox.messages import Request, Response, json_response
from pytest_tm_auth.sandbox.state import State

__all__ = ["import_execution", "tests"]

_TESTS = {
    "DEMO-1": {"key": "DEMO-1", "id": "10001", "type": "Generic", "status": "TODO"},
    "DEMO-2": {"key": "DEMO-2", "id": "10002", "type": "Manual", "status": "TODO"},
}


@signed_in
def tests(request: Request, state: State, params: Mapping[str, str], user: str) -> Response:
    """``GET .../rest/raven/1.0/api/test?keys=DEMO-1;DEMO-2``: the known tests among ``keys``."""
    wanted = (request.param("keys") or "").replace(";", ",").split(",")
    if not any(key.strip() for key in wanted):
        return json_response(200, list(_TESTS.values()))
    return json_response(200, [_TESTS[key.strip()] for key in wanted if key.strip() in _TESTS])


@signed_in
def import_execution(
    request: Request, state: State, params: Mapping[str, str], user: str
) -> Response:
    """``POST .../rest/raven/{1.0,2.0}/import/execution[/junit|...]``: the Test Execution."""
    issue = {
        "id": "10010",
        "key": "DEMO-10",
        "self": f"{request.base_url}/jira/rest/api/2/issue/10010",
    }
    return json_response(200, {"testExecIssue": issue})
