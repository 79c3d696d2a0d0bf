"""Xray's JUnit import, Cloud and Data Center: a JUnit XML report's linked tests as runs.

Cloud takes the XML as the body (``POST /api/v2/import/execution/junit``), Data Center as
the multipart part ``file`` (``POST {jira}/rest/raven/1.0/import/execution/junit``); both
take ``projectKey``, ``testExecKey``, ``testPlanKey``, ``testEnvironments`` (``;``
between them), ``revision`` and ``fixVersion`` in the query. A ``<testcase>`` with
``<property name="test_key" value="DEMO-6"/>`` is a run of that Test: in the execution
named, or a new one. The report is read as a stream without entities (:mod:`..uploads`),
and the runs land as the JSON import's do (:mod:`.xray_results`), answered in its shape.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from pytest_tm_auth.sandbox.executions import Details, Run, seeded
from pytest_tm_auth.sandbox.messages import Request, Response, json_response
from pytest_tm_auth.sandbox.services.xray_results import Reading, cloud_land, dc_land, jira_errors
from pytest_tm_auth.sandbox.state import State
from pytest_tm_auth.sandbox.uploads import BadUpload, JUnitCase, form_parts, junit_cases

__all__ = ["OUTCOMES", "cloud_junit", "dc_junit", "junit_reading"]

#: A testcase's outcome as each deployment's status, in the order a worse one wins.
OUTCOMES = {
    "cloud": {"passed": "PASSED", "skipped": "TODO", "failed": "FAILED", "error": "FAILED"},
    "datacenter": {"passed": "PASS", "skipped": "TODO", "failed": "FAIL", "error": "FAIL"},
}
_RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 2}
_XML = ("text/xml", "application/xml")


def _details(request: Request) -> Details:
    environments = request.param("testEnvironments")
    return Details(
        tuple(e for e in environments.split(";") if e) if environments else None,
        request.param("testPlanKey") or None,
        request.param("fixVersion") or None,
        request.param("revision") or None,
    )


def junit_reading(request: Request, cases: list[JUnitCase], deployment: str) -> Reading:
    """The import the query and the report's linked testcases make; several testcases of
    one Test are one run with the worst outcome."""
    worst: dict[str, JUnitCase] = {}
    for case in cases:
        key = case.properties.get("test_key", "").strip()
        if key and (key not in worst or _RANK[case.outcome] > _RANK[worst[key].outcome]):
            worst[key] = case
    runs: list[Run] = []
    rejected: list[tuple[str, str]] = []
    for key, case in worst.items():
        issue = seeded(key)
        if issue is None or issue.type != "Test":
            rejected.append((key[:40], f"Test with key {key[:40]} not found"))
        else:
            runs.append(Run(key, OUTCOMES[deployment][case.outcome], case.message))
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    info: dict[str, Any] = {"summary": f"Execution results [{now}]"}
    info["project"] = request.param("projectKey") or None
    return Reading(request.param("testExecKey") or None, info, _details(request), runs, rejected)


def cloud_junit(
    request: Request, state: State, params: Mapping[str, str], claims: dict[str, Any]
) -> Response:
    """Cloud: the XML as the body; anything wrong is a 400 ``{"error"}`` and nothing lands."""
    if request.media_type not in _XML:
        return json_response(400, {"error": "The request body must be text/xml."})
    try:
        cases = junit_cases(request.body)
    except BadUpload as bad:
        return json_response(400, {"error": str(bad)})
    return cloud_land(request, state, junit_reading(request, cases, "cloud"))


def dc_junit(request: Request, state: State, params: Mapping[str, str], user: str) -> Response:
    """Data Center: the multipart ``file``; unknown tests are listed inside the 200."""
    try:
        file = form_parts(request).get("file")
        if file is None:
            return jira_errors("A multipart part named file is required.")
        cases = junit_cases(file.data)
    except BadUpload as bad:
        return jira_errors(str(bad))
    return dc_land(request, state, junit_reading(request, cases, "datacenter"))
