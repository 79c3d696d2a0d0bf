"""The stand-in's Zephyr Scale results, Cloud and Data Center, over loopback."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from pytest_tm_auth.sandbox import DEMO, Sandbox
from tests.environment import bearer_session

STATUSES = ["Pass", "Fail", "Not Executed", "In Progress", "Blocked"]


@pytest.fixture
def cloud(sandbox: Sandbox) -> Iterator[requests.Session]:
    """A session with the demo Zephyr Scale Cloud API token."""
    with bearer_session(DEMO.zephyr_token) as session:
        yield session


@pytest.fixture
def jira(sandbox: Sandbox) -> Iterator[requests.Session]:
    """A session signed in to Jira Data Center with the demo personal access token."""
    with bearer_session(DEMO.jira_pat) as session:
        yield session


def custom_zip(executions: list[dict[str, Any]], name: str = "results.json") -> bytes:
    buffer = io.BytesIO()
    # A fixed time: the same bytes in every xdist worker, which collect the tests apart.
    entry = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    entry.compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(entry, json.dumps({"version": 1, "executions": executions}))
    return buffer.getvalue()


def execution(case: str, result: str = "Passed") -> dict[str, Any]:
    return {"source": f"test_demo.py::test_{case}", "result": result, "testCase": {"key": case}}


def upload(
    session: requests.Session, url: str, file: bytes, cycle: dict[str, Any] | None = None, **q: str
) -> requests.Response:
    files: dict[str, Any] = {"file": ("results.zip", file, "application/zip")}
    if cycle is not None:
        files["testCycle"] = (None, json.dumps(cycle), "application/json")
    return session.post(url, params=q, files=files)


def new_execution(case: str = "DEMO-T1", cycle: str = "DEMO-R1", **more: Any) -> dict[str, Any]:
    body = {"projectKey": "DEMO", "testCaseKey": case, "testCycleKey": cycle}
    return body | {"statusName": "Pass"} | more


# Cloud


def test_a_cycle_is_created_after_the_seeded_ones(
    sandbox: Sandbox, cloud: requests.Session
) -> None:
    made = [
        cloud.post(f"{sandbox.url}/v2/testcycles", json={"projectKey": "DEMO", "name": f"n{n}"})
        for n in (1, 2)
    ]
    assert [m.status_code for m in made] == [201, 201]
    assert [m.json()["key"] for m in made] == ["DEMO-R27", "DEMO-R28"]
    assert made[0].json()["self"] == f"{sandbox.url}/v2/testcycles/27"
    refused = [
        cloud.post(f"{sandbox.url}/v2/testcycles", json=body)
        for body in ({"projectKey": "DEMO"}, {"name": "x"}, {"projectKey": "NOPE", "name": "x"})
    ]
    assert [r.status_code for r in refused] == [400, 400, 400]
    assert "name is required" in refused[0].json()["message"]
    assert [c["key"] for c in sandbox.zephyr_cycles()] == ["DEMO-R27", "DEMO-R28"]
    listed = cloud.get(f"{sandbox.url}/v2/testcycles", params={"maxResults": 100}).json()
    assert [c["key"] for c in listed["values"][-3:]] == ["SBX-R1", "DEMO-R27", "DEMO-R28"]
    listed = cloud.get(f"{sandbox.url}/v2/testcycles", params={"projectKey": "SBX"}).json()
    assert [c["key"] for c in listed["values"]] == ["SBX-R1"]


def test_an_execution_lands_in_its_cycle_with_every_field(
    sandbox: Sandbox, cloud: requests.Session
) -> None:
    cycle = cloud.post(f"{sandbox.url}/v2/testcycles", json={"projectKey": "DEMO", "name": "n"})
    key = cycle.json()["key"]
    fields: dict[str, Any] = {"environmentName": "staging", "actualEndDate": "2026-01-02T03:04:05Z"}
    fields |= {"executionTime": 1500, "comment": "demo comment"}
    for status in STATUSES:
        made = cloud.post(
            f"{sandbox.url}/v2/testexecutions",
            json=new_execution("DEMO-T7", key, statusName=status, **fields),
        )
        assert made.status_code == 201, made.text
        assert made.headers["Location"] == made.json()["self"]
    executions = sandbox.zephyr_cycles()[0]["executions"]["DEMO-T7"]
    assert [e["status"] for e in executions] == STATUSES
    assert executions[0]["environment"] == "staging"
    assert executions[0]["execution_time"] == 1500
    assert executions[0]["comment"] == "demo comment"
    assert executions[0]["ended"] == "2026-01-02T03:04:05Z"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"statusName": "Passed"}, '"Passed" is not one of Pass'),
        ({"statusName": "PASS"}, '"PASS" is not one of'),
        ({"testCaseKey": "DEMO-T9999"}, "Test case DEMO-T9999 not found"),
        ({"testCycleKey": "DEMO-R999"}, "Test cycle DEMO-R999 not found"),
        ({"projectKey": "NOPE"}, "Project NOPE not found"),
        ({"executionTime": "1s"}, "executionTime must be a whole number"),
        ({"executionTime": -1}, "executionTime must be 0 or more"),
        ({"comment": 5}, "comment must be text"),
    ],
)
def test_an_execution_is_refused_for_each_bad_field(
    sandbox: Sandbox, cloud: requests.Session, change: dict[str, Any], message: str
) -> None:
    made = cloud.post(f"{sandbox.url}/v2/testexecutions", json=new_execution() | change)
    assert made.status_code == 400
    assert message in made.json()["message"]
    assert sandbox.zephyr_cycles() == []


def test_a_seeded_cycle_receives_executions(sandbox: Sandbox, cloud: requests.Session) -> None:
    made = cloud.post(f"{sandbox.url}/v2/testexecutions", json=new_execution("DEMO-T2", "DEMO-R3"))
    assert made.status_code == 201
    (cycle,) = sandbox.zephyr_cycles()
    assert (cycle["key"], cycle["created"], list(cycle["executions"])) == (
        "DEMO-R3",
        False,
        ["DEMO-T2"],
    )


def test_every_custom_upload_makes_a_new_cycle(sandbox: Sandbox, cloud: requests.Session) -> None:
    url = f"{sandbox.url}/v2/automations/executions/custom"
    results = custom_zip([execution("DEMO-T1"), execution("DEMO-T2", "Failed")])
    answers = [
        upload(cloud, url, results, {"name": "Nightly"}, projectKey="DEMO") for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [200, 200]
    keys = [a.json()["testCycle"]["key"] for a in answers]
    assert keys == ["DEMO-R27", "DEMO-R28"]
    assert answers[0].json()["testCycle"]["url"].endswith("/cycles/DEMO-R27")
    cycles = sandbox.zephyr_cycles()
    assert [(c["name"], c["origin"]) for c in cycles] == [("Nightly", "custom")] * 2
    first = cycles[0]["executions"]
    assert [first["DEMO-T1"][0]["status"], first["DEMO-T2"][0]["status"]] == ["Pass", "Fail"]
    assert first["DEMO-T1"][0]["source"] == "test_demo.py::test_DEMO-T1"


def test_a_custom_upload_with_an_unknown_case_is_refused_unless_cases_are_made(
    sandbox: Sandbox, cloud: requests.Session
) -> None:
    url = f"{sandbox.url}/v2/automations/executions/custom"
    unknown = {"source": "t.py::test_new", "result": "Passed", "testCase": {"name": "brand new"}}
    results = custom_zip([execution("DEMO-T1"), unknown])
    refused = upload(cloud, url, results, projectKey="DEMO", autoCreateTestCases="false")
    assert refused.status_code == 400
    assert refused.json()["message"] == "Test cases not found: brand new"
    assert sandbox.zephyr_cycles() == []
    made = upload(cloud, url, results, projectKey="DEMO", autoCreateTestCases="true")
    assert made.status_code == 200
    assert list(sandbox.zephyr_cycles()[0]["executions"]) == ["DEMO-T1", "DEMO-T451"]


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (b"not a zip", "The file is not a valid zip archive."),
        (custom_zip([execution("DEMO-T1")], "results.txt"), "exactly one JSON file"),
        (custom_zip([{"result": "Pass", "testCase": {"key": "DEMO-T1"}}]), "result among Passed"),
    ],
    ids=["not-a-zip", "no-json-file", "unknown-result"],
)
def test_a_bad_custom_file_is_refused(
    sandbox: Sandbox, cloud: requests.Session, file: bytes, message: str
) -> None:
    url = f"{sandbox.url}/v2/automations/executions/custom"
    refused = upload(cloud, url, file, projectKey="DEMO")
    assert refused.status_code == 400
    assert message in refused.json()["message"]
    assert sandbox.zephyr_cycles() == []


def test_an_upload_over_10_mb_is_refused(sandbox: Sandbox, cloud: requests.Session) -> None:
    url = f"{sandbox.url}/v2/automations/executions/custom"
    refused = upload(cloud, url, b"\0" * ((10 << 20) + 1), projectKey="DEMO")
    assert refused.status_code == 413
    assert refused.json()["message"] == "The file is larger than 10 MB"
    assert len(padded_zip(10 << 20)) == 10 << 20
    assert upload(cloud, url, padded_zip(10 << 20), projectKey="DEMO").status_code == 200
    assert upload(cloud, url, padded_zip((10 << 20) + 1), projectKey="DEMO").status_code == 413


def padded_zip(size: int) -> bytes:
    """A custom-format zip of exactly ``size`` bytes, its JSON padded with spaces, stored."""
    text = json.dumps({"version": 1, "executions": [execution("DEMO-T1")]})

    def made(padding: int) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("results.json", text + " " * padding)
        return buffer.getvalue()

    return made(size - len(made(0)))


def test_an_upload_without_content_length_is_refused(
    sandbox: Sandbox, cloud: requests.Session
) -> None:
    prepared = requests.Request(
        "POST",
        f"{sandbox.url}/v2/automations/executions/custom?projectKey=DEMO",
        files={"file": ("r.zip", custom_zip([execution("DEMO-T1")]))},
    ).prepare()
    body = prepared.body
    assert isinstance(body, bytes)
    headers = {"Content-Type": str(prepared.headers["Content-Type"])}
    refused = cloud.post(prepared.url or "", data=iter([body]), headers=headers)
    assert refused.status_code == 411
    assert sandbox.zephyr_cycles() == []


JUNIT = b"""<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="4">
<testcase classname="tests.test_login" name="test_login_DEMO_T19" time="1.25"/>
<testcase classname="tests.test_login" name="test_logout_DEMO_T20" time="0.5">
  <failure message="assert 1 == 2">trace</failure></testcase>
<testcase classname="tests.test_x" name="Demo test case 21"><skipped message="later"/></testcase>
<testcase classname="tests.test_x" name="test_DEMO_T22_errors"><error message="boom"/></testcase>
</testsuite></testsuites>"""


def test_a_junit_upload_matches_cases_by_key_in_the_name_or_by_name(
    sandbox: Sandbox, cloud: requests.Session
) -> None:
    url = f"{sandbox.url}/v2/automations/executions/junit"
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("a.xml", JUNIT)
    for file in (JUNIT, zipped.getvalue()):
        assert upload(cloud, url, file, projectKey="DEMO").status_code == 200
    first, second = sandbox.zephyr_cycles()
    assert first["origin"] == "junit"
    landed = {key: runs[0]["status"] for key, runs in first["executions"].items()}
    assert landed == {key: runs[0]["status"] for key, runs in second["executions"].items()}
    assert landed == {
        "DEMO-T19": "Pass",
        "DEMO-T20": "Fail",
        "DEMO-T21": "Not Executed",
        "DEMO-T22": "Fail",
    }
    assert first["executions"]["DEMO-T19"][0]["execution_time"] == 1250
    assert first["executions"]["DEMO-T20"][0]["comment"] == "assert 1 == 2"


# Data Center


def atm(sandbox: Sandbox, path: str) -> str:
    return f"{sandbox.jira_dc_url}/rest/atm/1.0/{path}"


def item(case: str, status: str = "Pass", **more: Any) -> dict[str, Any]:
    return {"testCaseKey": case, "status": status} | more


def test_a_test_run_lands_with_its_items(sandbox: Sandbox, jira: requests.Session) -> None:
    items = [item("DEMO-T1", s, environment="qa", executionTime=5) for s in STATUSES]
    made = jira.post(
        atm(sandbox, "testrun"), json={"projectKey": "DEMO", "name": "N", "items": items}
    )
    assert (made.status_code, made.json()["key"]) == (201, "DEMO-C1")
    (run,) = sandbox.zephyr_runs()
    assert (run["name"], run["origin"], run["deployment"]) == ("N", "testrun", "datacenter")
    assert [e["status"] for e in run["executions"]["DEMO-T1"]] == STATUSES
    assert sandbox.zephyr_cycles() == []


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([item("DEMO-T1", "PASS")], 'items[0]: status "PASS" is not one of ' + ", ".join(STATUSES)),
        ([item("DEMO-T1"), item("DEMO-T9999")], "items[1]: Test case DEMO-T9999 not found"),
        ([item("DEMO-T1", executionTime="5")], "items[0]: executionTime must be a whole number"),
        ({"testCaseKey": "DEMO-T1"}, "items must be a list"),
    ],
)
def test_a_test_run_with_one_bad_item_is_refused_whole(
    sandbox: Sandbox, jira: requests.Session, items: object, message: str
) -> None:
    made = jira.post(atm(sandbox, "testrun"), json={"projectKey": "DEMO", "items": items})
    assert made.status_code == 400
    assert made.json()["errorMessages"] == [message]
    assert sandbox.zephyr_runs() == []


def test_bulk_results_and_attachments_need_the_nocheck_header(
    sandbox: Sandbox, jira: requests.Session
) -> None:
    run = jira.post(atm(sandbox, "testrun"), json={"projectKey": "DEMO"}).json()["key"]
    results = [item("DEMO-T1"), item("DEMO-T2", "Fail", comment="demo")]
    ids = jira.post(atm(sandbox, f"testrun/{run}/testresults"), json=results)
    assert ids.status_code == 201
    assert ids.json() == [{"id": 1}, {"id": 2}]
    evidence = {"file": ("demo.log", b"demo evidence, not a secret", "text/plain")}
    url = atm(sandbox, "testresult/2/attachments")
    refused = jira.post(url, files=evidence)
    assert (refused.status_code, refused.text) == (403, "XSRF check failed")
    attached = jira.post(url, files=evidence, headers={"X-Atlassian-Token": "nocheck"})
    assert attached.status_code == 201
    missing = jira.post(
        atm(sandbox, "testresult/99/attachments"),
        files=evidence,
        headers={"X-Atlassian-Token": "nocheck"},
    )
    assert missing.status_code == 404
    executions = sandbox.zephyr_runs()[0]["executions"]
    assert executions["DEMO-T1"][0]["attachments"] == []
    assert executions["DEMO-T2"][0]["attachments"] == [
        {"filename": "demo.log", "size": 27, "content_type": "text/plain"}
    ]
    unknown = jira.post(atm(sandbox, "testrun/DEMO-C9/testresults"), json=results)
    assert unknown.status_code == 404


def test_a_datacenter_automation_upload_makes_a_new_run_each_time(
    sandbox: Sandbox, jira: requests.Session
) -> None:
    url = atm(sandbox, "automation/execution/DEMO")
    results = custom_zip([execution("DEMO-T5", "Blocked")])
    answers = [upload(jira, url, results, {"name": "From CI"}) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert [a.json()["testCycle"]["key"] for a in answers] == ["DEMO-C1", "DEMO-C2"]
    runs = sandbox.zephyr_runs()
    assert [(r["name"], r["origin"]) for r in runs] == [("From CI", "automation")] * 2
    assert runs[0]["executions"]["DEMO-T5"][0]["status"] == "Blocked"
    assert (
        jira.post(atm(sandbox, "automation/execution/NOPE"), files={"file": results}).status_code
        == 400
    )


def test_reset_forgets_cycles_runs_and_made_cases(
    sandbox: Sandbox, cloud: requests.Session
) -> None:
    cloud.post(f"{sandbox.url}/v2/testcycles", json={"projectKey": "DEMO", "name": "n"})
    sandbox.reset()
    assert sandbox.zephyr_cycles() == []
    made = cloud.post(f"{sandbox.url}/v2/testcycles", json={"projectKey": "DEMO", "name": "n"})
    assert made.json()["key"] == "DEMO-R27"


def test_a_project_s_runs_are_searched_and_a_run_s_results_listed(
    sandbox: Sandbox, jira: requests.Session
) -> None:
    for name in ("first", "second"):
        body = {"projectKey": "DEMO", "name": name, "items": [item("DEMO-T2", comment="c")]}
        assert jira.post(atm(sandbox, "testrun"), json=body).status_code == 201
    query = {"query": 'projectKey = "DEMO"', "maxResults": "1", "startAt": "1"}
    found = jira.get(atm(sandbox, "testrun/search"), params=query)
    assert found.json() == [{"key": "DEMO-C2", "name": "second", "projectKey": "DEMO"}]
    assert jira.get(atm(sandbox, "testrun/search")).status_code == 400
    listed = jira.get(atm(sandbox, "testrun/DEMO-C1/testresults")).json()
    assert [(r["testCaseKey"], r["status"], r["comment"]) for r in listed] == [
        ("DEMO-T2", "Pass", "c")
    ]
    assert jira.get(atm(sandbox, "testrun/DEMO-C9/testresults")).status_code == 404


def test_a_cycle_s_executions_are_listed_with_their_comments_and_its_description_kept(
    sandbox: Sandbox, cloud: requests.Session
) -> None:
    for cycle in ("DEMO-R1", "DEMO-R2"):
        sent = new_execution("DEMO-T3", cycle, comment=f"in {cycle}")
        assert cloud.post(f"{sandbox.url}/v2/testexecutions", json=sent).status_code == 201
    listed = cloud.get(f"{sandbox.url}/v2/testexecutions", params={"testCycle": "DEMO-R2"})
    (only,) = listed.json()["values"]
    assert only["comment"] == "in DEMO-R2"
    assert only["testCase"]["self"].endswith("/v2/testcases/DEMO-T3/versions/1")
    described = {"name": "N", "description": "run tm-auth-0a1b"}
    assert upload(
        cloud,
        f"{sandbox.url}/v2/automations/executions/custom",
        custom_zip([execution("DEMO-T1")]),
        described,
        projectKey="DEMO",
    ).ok
    cycles = cloud.get(f"{sandbox.url}/v2/testcycles", params={"maxResults": 100}).json()
    assert cycles["values"][-1]["description"] == "run tm-auth-0a1b"
