"""Xray results, Cloud and Data Center: Test Executions made, runs imported (Xray JSON or
JUnit XML), runs read back.

Both deployments read the same Xray JSON import (:func:`read_import`) with their own status
names, and differ in what they do with a bad test: Cloud refuses the whole import (400
``{"error"}`` naming every bad key), Data Center lands the rest and lists the bad ones
inside its 200 (``testIssues.error``), which is what a client must not take for success.
A JUnit report (:func:`junit_reading`) lands the same way. Where the vendors document no
message, the text here is the stand-in's own guess.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pytest_tm_auth.sandbox.catalog import Issue
from pytest_tm_auth.sandbox.executions import Details, Iteration, Run, StoredFile, seeded
from pytest_tm_auth.sandbox.messages import Request, Response, json_response
from pytest_tm_auth.sandbox.paging import MAX_OFFSET, BadPage, OffsetRule, whole_number
from pytest_tm_auth.sandbox.services.jira import signed_in
from pytest_tm_auth.sandbox.state import State
from pytest_tm_auth.sandbox.uploads import BadUpload, JUnitCase, form_parts, junit_cases

__all__ = [
    "CLOUD_STATUSES",
    "DC_PAGE",
    "DC_STATUSES",
    "JUNIT_OUTCOMES",
    "XRAY_PROJECT",
    "Malformed",
    "Reading",
    "cloud_import",
    "cloud_junit",
    "cloud_land",
    "dc_create_issue",
    "dc_import",
    "dc_junit",
    "dc_land",
    "dc_runs",
    "dc_window",
    "issue_link",
    "jira_errors",
    "junit_reading",
    "read_import",
    "target",
]

CLOUD_STATUSES = ("PASSED", "FAILED", "TODO", "EXECUTING")
DC_STATUSES = ("PASS", "FAIL", "TODO", "EXECUTING", "ABORTED")
XRAY_PROJECT = "DEMO"  # the one project whose issues are Xray's
NO_SUMMARY = "You must specify a summary of the issue."
NO_PROJECT = "You must specify a project of the issue."

_DATE = re.compile(
    r"(?P<local>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})"
)


class Malformed(ValueError):
    """A body no import can start from; the message is safe to send back."""


class _Rejected(ValueError):
    """One test the import cannot land; the message names what is wrong with it."""


@dataclass(frozen=True)
class Reading:
    """An import as read: where it goes, what it says of the execution, its runs, and the
    tests it cannot land, as ``(test key, message)``."""

    execution_key: str | None
    info: Mapping[str, Any]
    details: Details
    runs: list[Run]
    rejected: list[tuple[str, str]]


def _text(value: Any, name: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _Rejected(f"{name} must be a string")


def _date(value: Any, name: str) -> str | None:
    """``value`` if it is an ISO 8601 date and time with an offset, as Xray asks."""
    text = _text(value, name)
    match = None if text is None else _DATE.fullmatch(text)
    if text is not None:
        try:
            if match is None:
                raise ValueError(text)
            datetime.datetime.fromisoformat(match["local"])
        except ValueError:
            raise _Rejected(
                f"{name} {text[:40]!r} is not an ISO 8601 date and time with an offset"
            ) from None
    return text


def _status(value: Any, statuses: tuple[str, ...], where: str) -> str:
    if not isinstance(value, str) or value not in statuses:
        shown = str(value)[:40]
        raise _Rejected(f'{where}status "{shown}" does not exist; known: {", ".join(statuses)}')
    return value


def _iterations(value: Any, statuses: tuple[str, ...]) -> tuple[Iteration, ...]:
    if not isinstance(value, list):
        raise _Rejected("iterations must be a list")
    made = []
    for number, item in enumerate(value, 1):
        if not isinstance(item, dict):
            raise _Rejected(f"iteration {number} must be an object")
        parameters = item.get("parameters", [])
        if not isinstance(parameters, list) or not all(
            isinstance(p, dict) and isinstance(p.get("name"), str) for p in parameters
        ):
            raise _Rejected(f"iteration {number}: parameters must be a list of {{name, value}}")
        made.append(
            Iteration(
                _text(item.get("name"), f"iteration {number}: name"),
                tuple((p["name"], str(p.get("value", ""))) for p in parameters),
                _status(item.get("status"), statuses, f"iteration {number}: "),
            )
        )
    return tuple(made)


def _evidence(value: Any) -> tuple[StoredFile, ...]:
    if not isinstance(value, list):
        raise _Rejected("evidence must be a list")
    made = []
    for item in value:
        name = item.get("filename") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise _Rejected("every evidence needs a filename")
        data = item.get("data")
        try:
            size = len(base64.b64decode(data if isinstance(data, str) else "?", validate=True))
        except (binascii.Error, ValueError):
            raise _Rejected(f"evidence {name[:80]!r}: data is not valid base64") from None
        made.append(StoredFile(name, size, _text(item.get("contentType"), "contentType")))
    return tuple(made)


def _run(test: Mapping[str, Any], statuses: tuple[str, ...], names: tuple[str, ...]) -> Run:
    """One test's run, or :class:`_Rejected` saying what Xray would refuse in it."""
    key: str = test["testKey"]
    issue = seeded(key)
    if issue is None:
        raise _Rejected(f"Test with key {key} not found")
    if issue.type != "Test":
        raise _Rejected(f"Issue {key} is not a Test (it is a {issue.type})")
    defects = test.get("defects", [])
    if not isinstance(defects, list) or not all(isinstance(d, str) for d in defects):
        raise _Rejected("defects must be a list of issue keys")
    evidence: tuple[StoredFile, ...] = ()
    for name in names:
        evidence += _evidence(test.get(name, []))
    return Run(
        key,
        _status(test.get("status"), statuses, ""),
        _text(test.get("comment"), "comment"),
        _date(test.get("start"), "start"),
        _date(test.get("finish"), "finish"),
        tuple(defects),
        _iterations(test.get("iterations", []), statuses),
        evidence,
    )


def _strings(value: Any, name: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Malformed(f"{name} must be a list of strings.")
    return tuple(value)


def _details(info: Mapping[str, Any]) -> Details:
    found = {}
    for name in ("testPlanKey", "version", "revision", "summary", "project"):
        value = info.get(name)
        if value is not None and not isinstance(value, str):
            raise Malformed(f"info.{name} must be a string.")
        found[name] = value
    return Details(
        _strings(info.get("testEnvironments"), "info.testEnvironments"),
        found["testPlanKey"],
        found["version"],
        found["revision"],
    )


def read_import(data: Any, statuses: tuple[str, ...], evidence: tuple[str, ...]) -> Reading:
    """An Xray JSON import read with a deployment's status names and evidence list names."""
    if not isinstance(data, dict):
        raise Malformed("The request body must be a JSON object.")
    key = data.get("testExecutionKey")
    if key is not None and not isinstance(key, str):
        raise Malformed("testExecutionKey must be a string.")
    info = data.get("info", {})
    if not isinstance(info, dict):
        raise Malformed("info must be an object.")
    tests = data.get("tests", [])
    if not isinstance(tests, list):
        raise Malformed("tests must be a list.")
    runs: list[Run] = []
    rejected: list[tuple[str, str]] = []
    for index, test in enumerate(tests):
        if not isinstance(test, dict) or not isinstance(test.get("testKey"), str):
            raise Malformed(f"tests[{index}] must be an object with a testKey.")
        try:
            runs.append(_run(test, statuses, evidence))
        except _Rejected as bad:
            rejected.append((test["testKey"], str(bad)))
    return Reading(key or None, info, _details(info), runs, rejected)


def issue_link(issue: Issue, base: str) -> dict[str, str]:
    """``{"id", "key", "self"}``, as both deployments name an issue; ``base`` is Jira's."""
    return {"id": str(issue.id), "key": issue.key, "self": f"{base}/rest/api/2/issue/{issue.id}"}


def target(reading: Reading, state: State, deployment: str) -> Issue | str:
    """The execution an import lands in (the one named, or a new one), or why there is none.

    Data Center's defaults for a new one are guesses: a summary naming the time, and the
    project of the first test that lands.
    """
    if reading.execution_key is not None:
        found = state.created.xray.find(reading.execution_key)
        return found or f"Test Execution with key {reading.execution_key[:40]} not found."
    summary, project = reading.info.get("summary"), reading.info.get("project")
    if deployment == "datacenter":
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        summary = summary or f"Execution results [{now}]"
        project = project or next((r.test_key.split("-")[0] for r in reading.runs), None)
    if not summary or not summary.strip():
        return NO_SUMMARY
    if not project:
        return NO_PROJECT
    if project != XRAY_PROJECT:
        return f"Project {project[:40]} does not exist or is not an Xray project."
    return state.created.xray.create(summary, project, (), deployment, reading.details)


def cloud_import(request: Request, state: State) -> Response:
    """Xray Cloud's JSON import: 400 ``{"error"}`` for anything wrong, else the execution."""
    try:
        reading = read_import(request.json(), CLOUD_STATUSES, ("evidence",))
    except Malformed as bad:
        return json_response(400, {"error": str(bad)})
    except ValueError:
        return json_response(400, {"error": "Invalid JSON in the request body."})
    return cloud_land(request, state, reading)


def cloud_land(request: Request, state: State, reading: Reading) -> Response:
    """Land what Cloud read, all or nothing: 400 ``{"error"}`` naming every bad test."""
    if reading.rejected:
        named = "; ".join(f"{key[:40]}: {message}" for key, message in reading.rejected)
        return json_response(400, {"error": f"Error importing execution: {named}"})
    issue = target(reading, state, "cloud")
    if isinstance(issue, str):
        return json_response(400, {"error": issue})
    state.created.xray.land(issue, reading.runs, "cloud", reading.details)
    return json_response(200, issue_link(issue, request.base_url))


def jira_errors(*messages: str) -> Response:
    return json_response(400, {"errorMessages": list(messages), "errors": {}})


def dc_import(request: Request, state: State) -> Response:
    """Xray Data Center's JSON import: bad tests are listed inside a 200, the rest land."""
    try:
        reading = read_import(request.json(), DC_STATUSES, ("evidence", "evidences"))
    except Malformed as bad:
        return jira_errors(str(bad))
    except ValueError:
        return jira_errors("The request body is not valid JSON.")
    return dc_land(request, state, reading)


def dc_land(request: Request, state: State, reading: Reading) -> Response:
    """Land what Data Center read: the good tests land, the bad ones are listed in the 200."""
    issue = target(reading, state, "datacenter")
    if isinstance(issue, str):
        return jira_errors(issue)
    base = request.base_url + "/jira"
    landed = state.created.xray.land(issue, reading.runs, "datacenter", reading.details)
    success = []
    for _, run in landed:
        test = seeded(run.test_key)
        assert test is not None  # read_import landed only seeded Tests
        success.append(issue_link(test, base))
    error = [{"testKey": key, "messages": [message]} for key, message in reading.rejected]
    return json_response(
        200,
        {
            "testExecIssue": issue_link(issue, base),
            "testIssues": {"success": success, "error": error},
            "infoMessages": [],
        },
    )


# The JUnit import (``.../import/execution/junit``), its report read as a stream without
# entities (:mod:`..uploads`)

#: A testcase's outcome as each deployment's status, in the order a worse one wins.
JUNIT_OUTCOMES = {
    "cloud": {"passed": "PASSED", "skipped": "TODO", "failed": "FAILED", "error": "FAILED"},
    "datacenter": {"passed": "PASS", "skipped": "TODO", "failed": "FAIL", "error": "FAIL"},
}
_RANK = {"passed": 0, "skipped": 1, "failed": 2, "error": 2}
_XML = ("text/xml", "application/xml")


def _junit_details(request: Request) -> Details:
    environments = request.param("testEnvironments")
    return Details(
        tuple(e for e in environments.split(";") if e) if environments else None,
        request.param("testPlanKey") or None,
        request.param("fixVersion") or None,
        request.param("revision") or None,
    )


def junit_reading(request: Request, cases: list[JUnitCase], deployment: str) -> Reading:
    """The import the query (``projectKey``, ``testExecKey``, ``testPlanKey``,
    ``testEnvironments`` with ``;`` between them, ``revision``, ``fixVersion``) and the
    report make: a ``<testcase>`` with ``<property name="test_key" value="DEMO-6"/>`` is a
    run of that Test, and several of one Test make one run with the worst outcome."""
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
            runs.append(Run(key, JUNIT_OUTCOMES[deployment][case.outcome], case.message))
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    info: dict[str, Any] = {"summary": f"Execution results [{now}]"}
    info["project"] = request.param("projectKey") or None
    details = _junit_details(request)
    return Reading(request.param("testExecKey") or None, info, details, runs, rejected)


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


def _field_errors(fields: Mapping[str, Any]) -> dict[str, str]:
    """What Jira would say of each field of a new Test Execution (issue type and labels: the
    stand-in's own words)."""
    errors: dict[str, str] = {}
    project = fields.get("project")
    key = project.get("key") if isinstance(project, dict) else None
    if not key:
        errors["project"] = "project is required"
    elif key != XRAY_PROJECT:
        errors["project"] = "valid project is required"
    summary = fields.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors["summary"] = NO_SUMMARY
    elif len(summary) > 255:
        errors["summary"] = "Summary must be less than 255 characters."
    kind = fields.get("issuetype")
    name = kind.get("name") if isinstance(kind, dict) else None
    if not isinstance(name, str) or not name:
        errors["issuetype"] = "issue type is required"
    elif name != "Test Execution":
        errors["issuetype"] = "The stand-in creates issues of type Test Execution only."
    labels = fields.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(v, str) and v for v in labels):
        errors["labels"] = "labels must be a list of words"
    elif any(" " in label for label in labels):
        errors["labels"] = "The label contains spaces which is invalid."
    return errors


@signed_in
def dc_create_issue(
    request: Request, state: State, params: Mapping[str, str], user: str
) -> Response:
    """``POST {jira}/rest/api/2/issue``: 201 with a new Test Execution, or Jira's field errors."""
    try:
        data = request.json()
    except ValueError:
        return jira_errors("The request body is not valid JSON.")
    fields = data.get("fields") if isinstance(data, dict) else None
    if not isinstance(fields, dict):
        return jira_errors("The request body must be an object with fields.")
    errors = _field_errors(fields)
    if errors:
        return json_response(400, {"errorMessages": [], "errors": errors})
    labels = tuple(fields.get("labels", []))
    issue = state.created.xray.create(
        fields["summary"], XRAY_PROJECT, labels, "datacenter", Details()
    )
    return json_response(201, issue_link(issue, request.base_url + "/jira"))


#: Xray Data Center's lists: every item unless ``limit`` is given; then ``page`` (from 1)
#: picks the window. No known upper limit.
DC_PAGE = OffsetRule(default=MAX_OFFSET, maximum=MAX_OFFSET, start_name="page", size_name="limit")


def dc_window(request: Request) -> tuple[int, int]:
    """The offset and size ``page`` and ``limit`` ask for, or :class:`BadPage`."""
    page_number = whole_number(request.param("page"), "page", 1)
    if page_number < 1:
        raise BadPage(f"page must be 1 or more, not {page_number}")
    _, size = DC_PAGE.read(0, request.param("limit"))
    return min((page_number - 1) * size, MAX_OFFSET), size


@signed_in
def dc_runs(request: Request, state: State, params: Mapping[str, str], user: str) -> Response:
    """``GET .../rest/raven/{1.0,2.0}/api/testexec/{key}/test``: the execution's runs."""
    key = params["key"]
    if state.created.xray.find(key) is None:
        return json_response(404, {"error": f"Test Execution with key {key} not found."})
    try:
        start, size = dc_window(request)
    except BadPage as bad:
        return json_response(400, {"error": str(bad)})
    runs = state.created.xray.runs(key)[start : start + size]
    return json_response(
        200,
        [
            {"id": number, "status": run.status, "key": run.test_key, "rank": start + rank}
            for rank, (number, run) in enumerate(runs, 1)
        ],
    )
