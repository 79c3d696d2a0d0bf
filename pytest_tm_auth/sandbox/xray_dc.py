"""Xray Data Center: REST under Jira's ``/rest/raven/``, with Jira's own login."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_tm_auth.sandbox import catalog
from pytest_tm_auth.sandbox.catalog import BadQuery, Issue
from pytest_tm_auth.sandbox.datacenter import signed_in
from pytest_tm_auth.sandbox.messages import Request, Response, json_response
from pytest_tm_auth.sandbox.paging import MAX_OFFSET, BadPage, OffsetRule, whole_number
from pytest_tm_auth.sandbox.state import State

__all__ = ["PAGE", "import_execution", "tests"]

#: Xray Data Center's ``api/test``: every match unless ``limit`` is given; then ``page``
#: (from 1) picks the window. No known upper limit.
PAGE = OffsetRule(default=MAX_OFFSET, maximum=MAX_OFFSET, start_name="page", size_name="limit")


def _test(issue: Issue) -> dict[str, Any]:
    return {"key": issue.key, "id": str(issue.id), "type": issue.test_type, "status": "TODO"}


@signed_in
def tests(request: Request, state: State, params: Mapping[str, str], user: str) -> Response:
    """``GET .../rest/raven/1.0/api/test?jql=...&limit=100&page=2`` (or ``?keys=A;B``)."""
    found = [issue for issue in catalog.issues() if issue.type == "Test"]
    wanted = {key.strip() for key in (request.param("keys") or "").replace(";", ",").split(",")}
    wanted.discard("")
    if wanted:
        found = [issue for issue in found if issue.key in wanted]
    try:
        found = catalog.matching(found, request.param("jql") or "")
        page_number = whole_number(request.param("page"), "page", 1)
        if page_number < 1:
            raise BadPage(f"page must be 1 or more, not {page_number}")
        _, size = PAGE.read(0, request.param("limit"))
    except (BadPage, BadQuery) as bad:
        return json_response(400, {"error": str(bad)})
    start = min((page_number - 1) * size, MAX_OFFSET)
    return json_response(200, [_test(issue) for issue in found[start : start + size]])


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
