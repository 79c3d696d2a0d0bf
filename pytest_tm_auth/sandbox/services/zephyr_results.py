"""Zephyr Scale results by JSON, Cloud and Data Center: cycles, executions, runs, attachments.

Cloud (``/v2/``, the bearer token): a cycle made by ``POST /v2/testcycles``, then one
execution per ``POST /v2/testexecutions``. Data Center (``{jira}/rest/atm/1.0/``, Jira's
login): a test run with its results in one ``POST testrun``, more results in one ``POST
testrun/{key}/testresults``, and files on a result by ``POST testresult/{id}/attachments``.
Both validate each field as the services do and land only a body that is whole; where the
vendors document no message, the text is the stand-in's own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pytest_tm_auth.sandbox.catalog import PROJECTS, ZEPHYR_EXECUTIONS
from pytest_tm_auth.sandbox.cycles import Outcome
from pytest_tm_auth.sandbox.executions import StoredFile
from pytest_tm_auth.sandbox.messages import Request, Response, json_response, text_response
from pytest_tm_auth.sandbox.paging import BadPage
from pytest_tm_auth.sandbox.services.jira import signed_in
from pytest_tm_auth.sandbox.services.zephyr import DC_PAGE, PROJECT_KEYS, bearer
from pytest_tm_auth.sandbox.state import State
from pytest_tm_auth.sandbox.uploads import BadUpload, form_parts

__all__ = [
    "STATUSES",
    "Invalid",
    "cloud_error",
    "create_cycle",
    "dc_attachment",
    "dc_error",
    "dc_testresults",
    "dc_testrun",
    "dc_testrun_results",
    "dc_testrun_search",
    "known_project",
    "testexecutions",
]

STATUSES = ("Pass", "Fail", "Not Executed", "In Progress", "Blocked")
_NAME_LIMIT = 255
_PROJECT_IDS = {key: project_id for project_id, key, _ in PROJECTS}
_PROJECT_KEY = re.compile(r"projectKey\s*=\s*[\"']?([A-Za-z][A-Za-z0-9_]*)", re.IGNORECASE)


class Invalid(ValueError):
    """A field the service refuses; the message names it and is safe to send back."""


def cloud_error(status: int, message: str) -> Response:
    return json_response(status, {"errorCode": status, "message": message})


def dc_error(status: int, message: str) -> Response:
    return json_response(status, {"errorMessages": [message]})


def known_project(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise Invalid("projectKey is required")
    if value not in PROJECT_KEYS:
        raise Invalid(f"Project {value[:40]} not found")
    return value


def _optional(data: Mapping[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
        raise Invalid(f"{name} must be {'text' if kind is str else 'a whole number'}")
    if isinstance(value, int) and value < 0:
        raise Invalid(f"{name} must be 0 or more")
    return value


def _status(value: Any, name: str) -> str:
    if value not in STATUSES:
        shown = str(value)[:40] if value is not None else "nothing"
        raise Invalid(f'{name} "{shown}" is not one of {", ".join(STATUSES)}')
    return str(value)


def _case(state: State, value: Any, name: str) -> str:
    key = value if isinstance(value, str) and value else None
    if key is None:
        raise Invalid(f"{name} is required")
    if state.created.zephyr.case_key(key, None) is None:
        raise Invalid(f"Test case {key[:40]} not found")
    return key


def _json_object(request: Request) -> dict[str, Any]:
    try:
        data = request.json()
    except ValueError:
        raise Invalid("The request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise Invalid("The request body must be a JSON object")
    return data


# Cloud


@bearer
def create_cycle(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``POST /v2/testcycles``: 201 ``{"id", "self", "key"}``, keyed after the seeded cycles."""
    try:
        data = _json_object(request)
        project = known_project(data.get("projectKey"))
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise Invalid("name is required")
        if len(name) > _NAME_LIMIT:
            raise Invalid(f"name must be at most {_NAME_LIMIT} characters")
    except Invalid as bad:
        return cloud_error(400, str(bad))
    cycle = state.created.zephyr.create(project, name, "cloud", "testcycles")
    link = f"{request.base_url}/v2/testcycles/{cycle.id}"
    return json_response(201, {"id": cycle.id, "self": link, "key": cycle.key})


def _execution(state: State, data: Mapping[str, Any]) -> Outcome:
    known_project(data.get("projectKey"))
    case = _case(state, data.get("testCaseKey"), "testCaseKey")
    cycle = data.get("testCycleKey")
    if not isinstance(cycle, str) or not cycle:
        raise Invalid("testCycleKey is required")
    if not state.created.zephyr.exists(cycle, "cloud"):
        raise Invalid(f"Test cycle {cycle[:40]} not found")
    return Outcome(
        case,
        _status(data.get("statusName"), "statusName"),
        _optional(data, "environmentName", str),
        _optional(data, "comment", str),
        _optional(data, "executionTime", int),
        _optional(data, "actualEndDate", str),
    )


@bearer
def testexecutions(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``POST /v2/testexecutions``: 201 with the new execution's id; listed from then on, and
    stored in its cycle."""
    try:
        data = _json_object(request)
        outcome = _execution(state, data)
    except Invalid as bad:
        return cloud_error(400, str(bad))
    fields = ("projectKey", "testCaseKey", "testCycleKey", "statusName")

    def made(number: int) -> dict[str, Any]:
        case = data["testCaseKey"]
        return {
            "id": number,
            "key": f"{data['projectKey']}-E{number}",
            "project": {"id": _PROJECT_IDS[data["projectKey"]]},
            "testCase": {"self": f"{request.base_url}/v2/testcases/{case}/versions/1"},
            "comment": outcome.comment,
            **{name: data[name] for name in fields},
        }

    number = state.created.add_execution(made, ZEPHYR_EXECUTIONS + 1)["id"]
    state.created.zephyr.add(data["testCycleKey"], "cloud", [outcome])
    link = f"{request.base_url}/v2/testexecutions/{number}"
    return json_response(201, {"id": number, "self": link}, {"Location": link})


# Data Center


def _dc_item(state: State, item: Any, where: str) -> Outcome:
    if not isinstance(item, dict):
        raise Invalid(f"{where} must be an object")
    try:
        return Outcome(
            _case(state, item.get("testCaseKey"), "testCaseKey"),
            _status(item.get("status"), "status"),
            _optional(item, "environment", str),
            _optional(item, "comment", str),
            _optional(item, "executionTime", int),
            _optional(item, "executionDate", str),
        )
    except Invalid as bad:
        raise Invalid(f"{where}: {bad}") from None


def _dc_items(state: State, items: Any, name: str) -> list[Outcome]:
    if not isinstance(items, list):
        raise Invalid(f"{name} must be a list")
    return [_dc_item(state, item, f"{name}[{n}]") for n, item in enumerate(items)]


@signed_in
def dc_testrun(request: Request, state: State, params: Mapping[str, str], user: str) -> Response:
    """``POST .../testrun``: a test run with its ``items`` (results); 201 with its key."""
    try:
        data = _json_object(request)
        project = known_project(data.get("projectKey"))
        name = data.get("name", "Test run")
        if not isinstance(name, str) or not name.strip() or len(name) > _NAME_LIMIT:
            raise Invalid(f"name must be 1 to {_NAME_LIMIT} characters")
        outcomes = _dc_items(state, data.get("items", []), "items")
    except Invalid as bad:
        return dc_error(400, str(bad))
    run = state.created.zephyr.create(project, name, "datacenter", "testrun")
    state.created.zephyr.add(run.key, "datacenter", outcomes)
    return json_response(201, {"id": run.id, "key": run.key})


@signed_in
def dc_testresults(
    request: Request, state: State, params: Mapping[str, str], user: str
) -> Response:
    """``POST .../testrun/{key}/testresults``: a list of results; 201 with their ids."""
    key = params["key"]
    if not state.created.zephyr.exists(key, "datacenter"):
        return dc_error(404, f"Test run {key} not found")
    try:
        data = request.json()
    except ValueError:
        return dc_error(400, "The request body is not valid JSON")
    try:
        outcomes = _dc_items(state, data, "results")
    except Invalid as bad:
        return dc_error(400, str(bad))
    ids = state.created.zephyr.add(key, "datacenter", outcomes)
    return json_response(201, [{"id": number} for number in ids])


@signed_in
def dc_testrun_results(
    request: Request, state: State, params: Mapping[str, str], user: str
) -> Response:
    """``GET .../testrun/{key}/testresults``: the run's results, a bare list."""
    found = state.created.zephyr.results(params["key"], "datacenter")
    if found is None:
        return dc_error(404, f"Test run {params['key']} not found")
    return json_response(200, found)


@signed_in
def dc_testrun_search(
    request: Request, state: State, params: Mapping[str, str], user: str
) -> Response:
    """``GET .../testrun/search?query=projectKey = "DEMO"``: the runs made, a bare list
    paged by ``startAt``/``maxResults`` as the test case search is."""
    query = request.param("query")
    if not query:
        return dc_error(400, "The query parameter is required")
    wanted = _PROJECT_KEY.search(query)
    runs = [
        {"key": run["key"], "name": run["name"], "projectKey": run["project"]}
        for run in state.created.zephyr.snapshot("datacenter")
        if wanted is None or run["project"] == wanted[1]
    ]
    try:
        page = DC_PAGE.page(runs, request.param("startAt"), request.param("maxResults"))
    except BadPage as bad:
        return dc_error(400, str(bad))
    return json_response(200, list(page.items))


@signed_in
def dc_attachment(request: Request, state: State, params: Mapping[str, str], user: str) -> Response:
    """``POST .../testresult/{id}/attachments``: multipart ``file``, Jira's XSRF header."""
    if (request.header("x-atlassian-token") or "").lower() != "nocheck":
        return text_response(403, "XSRF check failed")
    try:
        file = form_parts(request).get("file")
    except BadUpload as bad:
        return dc_error(400, str(bad))
    if file is None or not file.filename:
        return dc_error(400, "A multipart part named file, with a file name, is required")
    attachment = StoredFile(file.filename, len(file.data), file.content_type)
    number = state.created.zephyr.attach(int(params["id"]), attachment)
    if number is None:
        return dc_error(404, f"Test result {params['id']} not found")
    return json_response(201, {"id": number})
