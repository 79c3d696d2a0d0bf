"""Zephyr Scale's automation uploads: a whole run in one file, and a new cycle per upload.

Cloud takes the custom format (``POST /v2/automations/executions/custom``: a zip holding
one JSON ``{"version": 1, "executions": [...]}``) and JUnit XML, bare or zipped
(``/v2/automations/executions/junit``); Data Center takes the custom format only (``POST
{jira}/rest/atm/1.0/automation/execution/{projectKey}``). Each is multipart: ``file`` (at
most 10 MB, with ``Content-Length``) and an optional ``testCycle`` JSON part. **Every upload
makes a new cycle**, so an upload sent twice lands twice. A test case is found by key, or
by name; one found by neither is made when ``autoCreateTestCases=true`` and refuses the
whole upload otherwise.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from pytest_tm_auth.sandbox.cycles import Outcome
from pytest_tm_auth.sandbox.messages import Handler, Request, Response, json_response
from pytest_tm_auth.sandbox.services.jira import signed_in
from pytest_tm_auth.sandbox.services.zephyr import bearer
from pytest_tm_auth.sandbox.services.zephyr_results import (
    Invalid,
    cloud_error,
    dc_error,
    known_project,
)
from pytest_tm_auth.sandbox.state import State
from pytest_tm_auth.sandbox.uploads import BadUpload, form_parts, junit_cases, zip_members

__all__ = ["MAX_FILE", "RESULTS", "cloud_custom", "cloud_junit", "dc_automation"]

MAX_FILE = 10 << 20
#: The custom format's results, and the status each lands as.
RESULTS = {
    "Passed": "Pass",
    "Failed": "Fail",
    "Blocked": "Blocked",
    "Not Executed": "Not Executed",
    "In Progress": "In Progress",
}
_JUNIT_STATUS = {"passed": "Pass", "failed": "Fail", "error": "Fail", "skipped": "Not Executed"}
#: A test case key in a JUnit name: the first, with its whole project key (which may hold
#: ``_``: ``test_login_MY_APP_T19`` is ``MY_APP-T19``), starting after a separator.
_KEY_IN_NAME = re.compile(r"(?<![A-Za-z0-9])([A-Z][A-Z0-9_]*?)[_-]T([0-9]{1,9})(?![0-9])")
_DEFAULT_CYCLE = "Automated Build"
_ZIP = b"PK\x03\x04"

#: One found case: (test case key or None, name it may be found by, Outcome without its case).
_Found = tuple[str | None, str | None, Outcome]


def _custom(data: bytes) -> list[_Found]:
    members = list(zip_members(data))
    if len(members) != 1 or not members[0][0].lower().endswith(".json"):
        raise Invalid("The zip must hold exactly one JSON file")
    try:
        document = json.loads(members[0][1].decode("utf-8"))
    except ValueError:
        raise Invalid("The JSON file in the zip is not valid JSON") from None
    if not isinstance(document, dict) or document.get("version") != 1:
        raise Invalid('The JSON file must be {"version": 1, "executions": [...]}')
    executions = document.get("executions")
    if not isinstance(executions, list):
        raise Invalid("executions must be a list")
    found: list[_Found] = []
    for n, item in enumerate(executions):
        case = item.get("testCase") if isinstance(item, dict) else None
        result = item.get("result") if isinstance(item, dict) else None
        if result not in RESULTS or not isinstance(case, dict):
            raise Invalid(
                f"executions[{n}] needs a testCase object and a result among " + ", ".join(RESULTS)
            )
        key, name, source = case.get("key"), case.get("name"), item.get("source")
        outcome = Outcome("", RESULTS[result], source=source if isinstance(source, str) else None)
        found.append((key if isinstance(key, str) else None, name, outcome))
    return found


def _junit(data: bytes) -> list[_Found]:
    files = list(zip_members(data)) if data.startswith(_ZIP) else [("report.xml", data)]
    found: list[_Found] = []
    for _, xml in files:
        for case in junit_cases(xml):
            match = _KEY_IN_NAME.search(case.name)
            key = f"{match[1]}-T{match[2]}" if match else None
            millis = None if case.time is None else round(case.time * 1000)
            source = f"{case.classname}.{case.name}" if case.classname else case.name
            status = _JUNIT_STATUS[case.outcome]
            found.append(
                (key, case.name, Outcome("", status, None, case.message, millis, None, source))
            )
    return found


def _cycle_name(parts: Mapping[str, Any]) -> tuple[str, str]:
    """The ``testCycle`` part's name and description."""
    part = parts.get("testCycle")
    if part is None:
        return _DEFAULT_CYCLE, ""
    try:
        described = json.loads(part.data.decode("utf-8"))
    except ValueError:
        raise Invalid("testCycle must be a JSON object") from None
    name = described.get("name", _DEFAULT_CYCLE) if isinstance(described, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise Invalid("testCycle must be a JSON object whose name is text")
    description = described.get("description", "")
    if not isinstance(description, str):
        raise Invalid("testCycle's description must be text")
    return name, description


def _outcomes(state: State, project: str, found: list[_Found], create: bool) -> list[Outcome]:
    cycles = state.created.zephyr
    landed: list[Outcome] = []
    missing: list[str] = []
    for key, name, outcome in found:
        case = cycles.case_key(key, None) if key else cycles.case_key(None, name)
        if case is None and create and isinstance(name or key, str):
            case = cycles.new_case(project, str(name or key))
        if case is None:
            missing.append(str(key or name)[:60])
            continue
        landed.append(Outcome(case, *(getattr(outcome, f) for f in _TAIL)))
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if missing[10:] else "")
        raise Invalid(f"Test cases not found: {shown}")
    return landed


_TAIL = ("status", "environment", "comment", "execution_time", "ended", "source")


class _Refused(Exception):
    """An upload refused with ``status``; the message is safe to send back."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _upload(
    request: Request,
    state: State,
    project_key: str | None,
    *,
    deployment: str,
    read: Callable[[bytes], list[_Found]],
    origin: str,
) -> dict[str, Any]:
    """Read an upload and land it in a new cycle: the answer's body, or :class:`_Refused`."""
    if request.header("content-length") is None:
        raise _Refused(411, "Content-Length is required")
    try:
        project = known_project(project_key)
        parts = form_parts(request)
        file = parts.get("file")
        if file is None:
            raise Invalid("A multipart part named file is required")
        if len(file.data) > MAX_FILE:
            raise _Refused(413, f"The file is larger than {MAX_FILE >> 20} MB")
        name, description = _cycle_name(parts)
        create = (request.param("autoCreateTestCases") or "false").lower() == "true"
        outcomes = _outcomes(state, project, read(file.data), create)
    except (Invalid, BadUpload) as bad:
        raise _Refused(400, str(bad)) from None
    cycle = state.created.zephyr.create(project, name, deployment, origin, description)
    state.created.zephyr.add(cycle.key, deployment, outcomes)
    base = request.base_url + ("" if deployment == "cloud" else "/jira")
    url = f"{base}/projects/{project}/cycles/{cycle.key}"
    body: dict[str, Any] = {"key": cycle.key, "url": url}
    if deployment == "cloud":
        body["id"] = cycle.id
    return {"testCycle": body}


def _cloud(read: Callable[[bytes], list[_Found]], origin: str) -> Handler:
    @bearer
    def handler(request: Request, state: State, params: Mapping[str, str]) -> Response:
        try:
            body = _upload(
                request,
                state,
                request.param("projectKey"),
                deployment="cloud",
                read=read,
                origin=origin,
            )
        except _Refused as refused:
            return cloud_error(refused.status, str(refused))
        return json_response(200, body)

    return handler


cloud_custom = _cloud(_custom, "custom")
cloud_junit = _cloud(_junit, "junit")


@signed_in
def dc_automation(request: Request, state: State, params: Mapping[str, str], user: str) -> Response:
    """``POST .../automation/execution/{projectKey}``: the custom format; a new test run."""
    try:
        body = _upload(
            request,
            state,
            params["project"],
            deployment="datacenter",
            read=_custom,
            origin="automation",
        )
    except _Refused as refused:
        return dc_error(refused.status, str(refused))
    return json_response(200, body)
