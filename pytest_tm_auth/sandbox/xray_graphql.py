"""Xray Cloud's GraphQL connections ``getTests`` and ``getTestExecutions``, paged.

Xray's rule: every connection takes a ``limit`` of 1 to 100 (required) and an optional
``start``; the answer carries ``total``, ``start``, ``limit`` and ``results``. A query that
breaks the rule fails schema validation, answered here as 400 with GraphQL ``errors``. The
stand-in answers every field it knows, whatever the selection asks for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_tm_auth.sandbox import catalog
from pytest_tm_auth.sandbox.catalog import BadQuery, Issue
from pytest_tm_auth.sandbox.graphql import MISSING, arguments
from pytest_tm_auth.sandbox.messages import Response, json_response
from pytest_tm_auth.sandbox.paging import BadPage, OffsetRule

__all__ = ["CONNECTIONS", "LIMIT", "answer"]

#: Xray Cloud: "Values of limit must be within 1-100"; no default, so no clamping either.
LIMIT = OffsetRule(default=0, maximum=100, clamp=False, start_name="start", size_name="limit")
#: The connections served, and the issue type each lists.
CONNECTIONS = {"getTests": "Test", "getTestExecutions": "Test Execution"}


def _errors(message: str) -> Response:
    return json_response(400, {"errors": [{"message": message}]})


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


def _int_argument(field: str, given: Mapping[str, Any], name: str) -> int | None:
    value = given.get(name)
    if value is None or value is MISSING:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadPage(f'Argument "{name}" of field "{field}" has an invalid value: {value!r}.')
    return value


def _connection(field: str, given: Mapping[str, Any]) -> dict[str, Any]:
    limit = _int_argument(field, given, "limit")
    if limit is None:
        raise BadPage(
            f'Field "{field}" argument "limit" of type "Int!" is required, but it was not provided.'
        )
    start = _int_argument(field, given, "start")
    try:
        page_start, page_size = LIMIT.read(start, limit)
    except BadPage as bad:
        raise BadPage(f"{field}: {bad}") from None
    jql = given.get("jql")
    found = [i for i in catalog.issues() if i.type == CONNECTIONS[field]]
    if isinstance(jql, str) and jql.strip():
        found = catalog.matching(found, jql)
    chunk = found[page_start : page_start + page_size]
    return {
        "total": len(found),
        "start": page_start,
        "limit": page_size,
        "results": [_result(issue) for issue in chunk],
    }


def answer(query: str, variables: Mapping[str, Any]) -> Response | None:
    """The answer to the paged connections ``query`` asks for; ``None`` if it asks for none."""
    data: dict[str, Any] = {}
    try:
        for field in CONNECTIONS:
            given = arguments(query, field, variables)
            if given is not None:
                data[field] = _connection(field, given)
    except (BadPage, BadQuery) as bad:
        return _errors(str(bad))
    return json_response(200, {"data": data}) if data else None
