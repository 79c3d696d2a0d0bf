"""The stand-in's Xray Data Center results, behind Jira's login, over loopback."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from pytest_tm_auth.sandbox import DEMO, Fault, Sandbox
from tests.environment import bearer_session

EVIDENCE = base64.b64encode(b"demo evidence, not a secret").decode()
TEST_EXECUTION = {
    "project": {"key": "DEMO"},
    "summary": "Nightly demo run",
    "issuetype": {"name": "Test Execution"},
}


@pytest.fixture
def jira(sandbox: Sandbox) -> Iterator[requests.Session]:
    """A session signed in to Jira Data Center with the demo personal access token."""
    with bearer_session(DEMO.jira_pat) as session:
        yield session


def post_import(
    jira: requests.Session, sandbox: Sandbox, body: object, version: str = "2.0"
) -> requests.Response:
    return jira.post(f"{sandbox.jira_dc_url}/rest/raven/{version}/import/execution", json=body)


def create_issue(jira: requests.Session, sandbox: Sandbox, fields: object) -> requests.Response:
    return jira.post(f"{sandbox.jira_dc_url}/rest/api/2/issue", json={"fields": fields})


def runs_of(jira: requests.Session, sandbox: Sandbox, key: str, **params: str) -> requests.Response:
    return jira.get(f"{sandbox.jira_dc_url}/rest/raven/1.0/api/testexec/{key}/test", params=params)


def link(sandbox: Sandbox, number: int) -> dict[str, str]:
    return {
        "id": str(10000 + number),
        "key": f"DEMO-{number}",
        "self": f"{sandbox.jira_dc_url}/rest/api/2/issue/{10000 + number}",
    }


@pytest.mark.parametrize("version", ["1.0", "2.0"])
def test_rejected_tests_come_back_inside_a_200_and_the_rest_land(
    sandbox: Sandbox, jira: requests.Session, version: str
) -> None:
    tests = [
        {"testKey": "DEMO-1", "status": "PASS"},
        {
            "testKey": "DEMO-2",
            "status": "ABORTED",
            "evidences": [{"data": EVIDENCE, "filename": "a.log"}],
        },
        {
            "testKey": "DEMO-3",
            "status": "FAIL",
            "evidence": [{"data": EVIDENCE, "filename": "b.log"}],
        },
        {"testKey": "DEMO-4", "status": "PASSED"},  # Cloud's name
        {"testKey": "DEMO-9999", "status": "PASS"},
        {"testKey": "DEMO-300", "status": "PASS"},  # a Test Execution
    ]
    answer = post_import(jira, sandbox, {"info": {"project": "DEMO"}, "tests": tests}, version)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["testExecIssue"] == link(sandbox, 461)
    assert body["testIssues"]["success"] == [link(sandbox, n) for n in (1, 2, 3)]
    rejected = {e["testKey"]: e["messages"] for e in body["testIssues"]["error"]}
    assert list(rejected) == ["DEMO-4", "DEMO-9999", "DEMO-300"]
    assert '"PASSED"' in rejected["DEMO-4"][0]
    assert "not found" in rejected["DEMO-9999"][0]
    assert "not a Test" in rejected["DEMO-300"][0]
    assert body["infoMessages"] == []
    [execution] = sandbox.test_executions()
    assert execution["deployment"] == "datacenter"
    runs = execution["runs"]
    assert {key: run["status"] for key, run in runs.items()} == {
        "DEMO-1": "PASS",
        "DEMO-2": "ABORTED",
        "DEMO-3": "FAIL",
    }
    assert [e["filename"] for e in runs["DEMO-2"]["evidence"]] == ["a.log"]
    assert [e["filename"] for e in runs["DEMO-3"]["evidence"]] == ["b.log"]


@pytest.mark.parametrize(
    "body",
    [[], {"tests": "DEMO-1"}, {"tests": [{"status": "PASS"}]}, {"testExecutionKey": 7}],
)
def test_a_malformed_body_is_a_jira_style_400(
    sandbox: Sandbox, jira: requests.Session, body: object
) -> None:
    answer = post_import(jira, sandbox, body)
    assert answer.status_code == 400
    messages = answer.json()["errorMessages"]
    assert len(messages) == 1
    assert messages[0]
    assert sandbox.test_executions() == []


def test_an_import_into_an_unknown_execution_is_a_400(
    sandbox: Sandbox, jira: requests.Session
) -> None:
    body = {"testExecutionKey": "DEMO-5", "tests": [{"testKey": "DEMO-1", "status": "PASS"}]}
    answer = post_import(jira, sandbox, body)
    assert answer.status_code == 400
    assert "DEMO-5" in answer.json()["errorMessages"][0]


def test_issue_creation_makes_a_test_execution_that_search_sees(
    sandbox: Sandbox, jira: requests.Session
) -> None:
    made = create_issue(jira, sandbox, TEST_EXECUTION | {"labels": ["nightly"]})
    assert made.status_code == 201, made.text
    assert made.json() == link(sandbox, 461)
    found = jira.get(
        f"{sandbox.jira_dc_url}/rest/api/2/search",
        params={"jql": 'issuetype = "Test Execution" AND labels = nightly', "fields": "labels"},
    )
    assert found.json()["total"] == 1
    assert found.json()["issues"][0]["fields"] == {"labels": ["nightly"]}
    [execution] = sandbox.test_executions()
    assert (execution["summary"], execution["runs"]) == ("Nightly demo run", {})


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({}, {"project", "summary", "issuetype"}),
        (TEST_EXECUTION | {"project": {"key": "SBX"}}, {"project"}),
        (TEST_EXECUTION | {"summary": ""}, {"summary"}),
        (TEST_EXECUTION | {"summary": "x" * 256}, {"summary"}),
        (TEST_EXECUTION | {"issuetype": {"name": "Task"}}, {"issuetype"}),
        (TEST_EXECUTION | {"labels": ["two words"]}, {"labels"}),
        (TEST_EXECUTION | {"labels": "nightly"}, {"labels"}),
    ],
)
def test_issue_creation_answers_jira_field_errors(
    sandbox: Sandbox, jira: requests.Session, fields: dict[str, Any], errors: set[str]
) -> None:
    answer = create_issue(jira, sandbox, fields)
    assert answer.status_code == 400
    body = answer.json()
    assert body["errorMessages"] == []
    assert set(body["errors"]) == errors
    assert sandbox.test_executions() == []


def test_issue_creation_and_the_runs_need_jira_login(sandbox: Sandbox) -> None:
    assert create_issue(requests.Session(), sandbox, TEST_EXECUTION).status_code == 401
    assert runs_of(requests.Session(), sandbox, "DEMO-300").status_code == 401
    assert sandbox.test_executions() == []


def test_the_runs_of_an_execution_are_listed_after_a_reimport_replaced_one(
    sandbox: Sandbox, jira: requests.Session
) -> None:
    key = create_issue(jira, sandbox, TEST_EXECUTION).json()["key"]
    tests = [{"testKey": f"DEMO-{n}", "status": "FAIL"} for n in (1, 2, 3)]
    assert post_import(jira, sandbox, {"testExecutionKey": key, "tests": tests}).status_code == 200
    again = [{"testKey": "DEMO-2", "status": "PASS"}]
    post_import(jira, sandbox, {"testExecutionKey": key, "tests": again}, "1.0")
    listed = runs_of(jira, sandbox, key)
    assert listed.status_code == 200
    assert [(r["key"], r["status"]) for r in listed.json()] == [
        ("DEMO-1", "FAIL"),
        ("DEMO-2", "PASS"),
        ("DEMO-3", "FAIL"),
    ]
    second_page = runs_of(jira, sandbox, key, page="2", limit="2").json()
    assert [(r["key"], r["rank"]) for r in second_page] == [("DEMO-3", 3)]
    assert runs_of(jira, sandbox, "DEMO-300").json() == []  # seeded, no runs yet
    unknown = runs_of(jira, sandbox, "DEMO-5")
    assert unknown.status_code == 404
    assert "DEMO-5" in unknown.json()["error"]
    assert runs_of(jira, sandbox, key, page="0").status_code == 400


def test_a_creation_whose_answer_is_lost_has_still_happened(
    sandbox: Sandbox, jira: requests.Session
) -> None:
    sandbox.add_faults(Fault.dropped_after(), route="jiradc.issue")
    with pytest.raises(requests.ConnectionError):
        create_issue(jira, sandbox, TEST_EXECUTION)
    assert [e["key"] for e in sandbox.test_executions()] == ["DEMO-461"]
    assert sandbox.count("jiradc.issue", status=0) == 1
    sandbox.add_faults(Fault.dropped_after(), route="xraydc.import")
    body = {"testExecutionKey": "DEMO-461", "tests": [{"testKey": "DEMO-1", "status": "PASS"}]}
    with pytest.raises(requests.ConnectionError):
        post_import(jira, sandbox, body)
    assert list(sandbox.test_executions()[0]["runs"]) == ["DEMO-1"]


def test_an_import_without_info_names_its_execution_from_the_time_and_the_first_test(
    sandbox: Sandbox, jira: requests.Session
) -> None:
    answer = post_import(jira, sandbox, {"tests": [{"testKey": "DEMO-1", "status": "TODO"}]})
    assert answer.status_code == 200, answer.text
    [execution] = sandbox.test_executions()
    assert execution["project"] == "DEMO"
    assert execution["summary"].startswith("Execution results [20")
    nothing = post_import(jira, sandbox, {"tests": []})
    assert nothing.json() == {
        "errorMessages": ["You must specify a project of the issue."],
        "errors": {},
    }
