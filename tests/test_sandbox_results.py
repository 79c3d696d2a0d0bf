"""The stand-in's Xray Cloud results: imports, GraphQL creation and read-back, over loopback."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from pytest_tm_auth.sandbox import DEMO, Fault, Sandbox
from tests.environment import bearer_session

EVIDENCE = base64.b64encode(b"demo evidence, not a secret").decode()
NEW = {"summary": "Nightly demo run", "project": "DEMO"}


@pytest.fixture
def xray(sandbox: Sandbox) -> Iterator[requests.Session]:
    """A session holding a token the stand-in issued, as ``xray_session`` would."""
    with bearer_session(sandbox.issue_xray_token()) as session:
        yield session


def post_import(xray: requests.Session, sandbox: Sandbox, body: object) -> requests.Response:
    return xray.post(f"{sandbox.url}/api/v2/import/execution", json=body)


def graphql(
    xray: requests.Session, sandbox: Sandbox, query: str, variables: dict[str, Any] | None = None
) -> requests.Response:
    return xray.post(
        f"{sandbox.url}/api/v2/graphql", json={"query": query, "variables": variables or {}}
    )


def test_an_import_without_a_key_creates_an_execution_holding_every_field(
    sandbox: Sandbox, xray: requests.Session
) -> None:
    body = {
        "info": {
            **NEW,
            "testPlanKey": "DEMO-900",
            "testEnvironments": ["chrome", "linux"],
            "version": "1.0",
            "revision": "abc123",
        },
        "tests": [
            {
                "testKey": "DEMO-7",
                "status": "FAILED",
                "comment": "assert 1 == 2",
                "start": "2026-01-02T10:00:00+01:00",
                "finish": "2026-01-02T10:00:01.250Z",
                "defects": ["DEMO-3"],
                "evidence": [
                    {"data": EVIDENCE, "filename": "log.txt", "contentType": "text/plain"}
                ],
                "iterations": [
                    {"name": "a", "parameters": [{"name": "x", "value": "1"}], "status": "PASSED"},
                    {"parameters": [{"name": "x", "value": 2}], "status": "FAILED"},
                ],
            },
            {"testKey": "DEMO-8", "status": "TODO"},
        ],
    }
    answer = post_import(xray, sandbox, body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "id": "10461",
        "key": "DEMO-461",
        "self": f"{sandbox.url}/rest/api/2/issue/10461",
    }
    [execution] = sandbox.test_executions()
    assert execution | {"runs": None} == {
        "key": "DEMO-461",
        "id": "10461",
        "summary": "Nightly demo run",
        "project": "DEMO",
        "labels": [],
        "deployment": "cloud",
        "created": True,
        "environments": ["chrome", "linux"],
        "test_plan": "DEMO-900",
        "version": "1.0",
        "revision": "abc123",
        "runs": None,
    }
    run = execution["runs"]["DEMO-7"]
    assert run["status"] == "FAILED"
    assert run["comment"] == "assert 1 == 2"
    assert run["defects"] == ["DEMO-3"]
    assert run["evidence"] == [
        {
            "filename": "log.txt",
            "size": len(b"demo evidence, not a secret"),
            "content_type": "text/plain",
        }
    ]
    assert [it["status"] for it in run["iterations"]] == ["PASSED", "FAILED"]
    assert run["iterations"][1]["parameters"] == [{"name": "x", "value": "2"}]
    assert execution["runs"]["DEMO-8"]["status"] == "TODO"


@pytest.mark.parametrize(
    ("test", "named"),
    [
        ({"testKey": "DEMO-7", "status": "PASS"}, '"PASS"'),
        ({"testKey": "DEMO-7", "status": "ABORTED"}, '"ABORTED"'),
        ({"testKey": "DEMO-7", "status": "PASSED", "iterations": [{"status": "FAIL"}]}, '"FAIL"'),
        ({"testKey": "DEMO-7"}, '"None"'),
        ({"testKey": "DEMO-7", "status": "PASSED", "start": "2026-01-02T10:00:00"}, "offset"),
        ({"testKey": "DEMO-7", "status": "PASSED", "finish": "yesterday"}, "ISO 8601"),
        (
            {
                "testKey": "DEMO-7",
                "status": "PASSED",
                "evidence": [{"data": "!!", "filename": "a"}],
            },
            "base64",
        ),
        (
            {"testKey": "DEMO-7", "status": "PASSED", "evidence": [{"data": EVIDENCE}]},
            "filename",
        ),
    ],
)
def test_cloud_refuses_a_test_it_cannot_land_with_a_400_naming_it(
    sandbox: Sandbox, xray: requests.Session, test: dict[str, Any], named: str
) -> None:
    answer = post_import(xray, sandbox, {"info": NEW, "tests": [test]})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert "DEMO-7" in error
    assert named in error
    assert sandbox.test_executions() == []


def test_unknown_keys_and_keys_that_are_not_tests_are_named_in_one_400(
    sandbox: Sandbox, xray: requests.Session
) -> None:
    tests = [
        {"testKey": "DEMO-1", "status": "PASSED"},
        {"testKey": "DEMO-9999", "status": "PASSED"},
        {"testKey": "DEMO-300", "status": "PASSED"},  # a Test Execution
    ]
    answer = post_import(xray, sandbox, {"info": NEW, "tests": tests})
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert "DEMO-9999" in error
    assert "DEMO-300" in error
    assert "DEMO-1:" not in error
    assert sandbox.test_executions() == []


@pytest.mark.parametrize(
    ("info", "message"),
    [
        ({"project": "DEMO"}, "You must specify a summary of the issue."),
        ({"project": "DEMO", "summary": "  "}, "You must specify a summary of the issue."),
        ({"summary": "Run"}, "You must specify a project of the issue."),
        (
            {"summary": "Run", "project": "SBX"},
            "Project SBX does not exist or is not an Xray project.",
        ),
    ],
)
def test_a_new_execution_needs_a_summary_and_an_xray_project(
    sandbox: Sandbox, xray: requests.Session, info: dict[str, str], message: str
) -> None:
    answer = post_import(xray, sandbox, {"info": info, "tests": []})
    assert (answer.status_code, answer.json()) == (400, {"error": message})
    assert sandbox.test_executions() == []


@pytest.mark.parametrize(
    "body",
    [[], "tests", {"tests": {}}, {"tests": [1]}, {"tests": [{"status": "PASSED"}]}, {"info": []}],
)
def test_a_malformed_body_is_a_400(sandbox: Sandbox, xray: requests.Session, body: object) -> None:
    answer = post_import(xray, sandbox, body)
    assert answer.status_code == 400
    assert answer.json()["error"]


def test_a_reimport_replaces_the_runs_of_its_tests_never_duplicates(
    sandbox: Sandbox, xray: requests.Session
) -> None:
    first = post_import(
        xray,
        sandbox,
        {"info": NEW, "tests": [{"testKey": k, "status": "FAILED"} for k in ("DEMO-1", "DEMO-2")]},
    )
    key = first.json()["key"]
    before = sandbox.test_executions()[0]["runs"]
    again = post_import(
        xray,
        sandbox,
        {"testExecutionKey": key, "tests": [{"testKey": "DEMO-1", "status": "PASSED"}]},
    )
    assert again.status_code == 200
    assert again.json()["key"] == key
    [execution] = sandbox.test_executions()
    runs = execution["runs"]
    assert list(runs) == ["DEMO-1", "DEMO-2"]
    assert (runs["DEMO-1"]["status"], runs["DEMO-2"]["status"]) == ("PASSED", "FAILED")
    assert runs["DEMO-1"]["id"] == before["DEMO-1"]["id"]


def test_an_import_into_a_seeded_execution_lands_and_one_into_anything_else_is_refused(
    sandbox: Sandbox, xray: requests.Session
) -> None:
    run = [{"testKey": "DEMO-1", "status": "PASSED"}]
    seeded = post_import(xray, sandbox, {"testExecutionKey": "DEMO-300", "tests": run})
    assert seeded.status_code == 200
    assert seeded.json()["key"] == "DEMO-300"
    [execution] = sandbox.test_executions()
    assert (execution["key"], execution["created"]) == ("DEMO-300", False)
    for key in ("DEMO-5", "DEMO-9999"):  # a Test, and nothing
        refused = post_import(xray, sandbox, {"testExecutionKey": key, "tests": run})
        assert refused.status_code == 400
        assert key in refused.json()["error"]
    assert len(sandbox.test_executions()) == 1


CREATE = """
mutation {
  createTestExecution(
    testIssueIds: ["10001", "10002", "99999"],
    testEnvironments: ["chrome"],
    jira: {fields: {summary: "Made by GraphQL", project: {key: "DEMO"}, labels: ["nightly"]}}
  ) { testExecution { issueId jira(fields: ["key"]) } warnings }
}
"""
CREATE_WITH_VARIABLES = """
mutation($jira: JSON!, $tests: [String]) {
  createTestExecution(testIssueIds: $tests, jira: $jira) {
    testExecution { issueId jira(fields: ["key", "labels"]) } warnings
  }
}
"""


def test_graphql_creates_an_execution_with_its_tests_to_do(
    sandbox: Sandbox, xray: requests.Session
) -> None:
    answer = graphql(xray, sandbox, CREATE)
    assert answer.status_code == 200, answer.text
    made = answer.json()["data"]["createTestExecution"]
    assert made["testExecution"]["issueId"] == "10461"
    assert made["testExecution"]["jira"]["key"] == "DEMO-461"
    assert made["warnings"] == ["Test with id 99999 was not found."]
    [execution] = sandbox.test_executions()
    assert execution["labels"] == ["nightly"]
    assert execution["environments"] == ["chrome"]
    assert {key: run["status"] for key, run in execution["runs"].items()} == {
        "DEMO-1": "TODO",
        "DEMO-2": "TODO",
    }


def test_graphql_creation_reads_its_arguments_from_variables(
    sandbox: Sandbox, xray: requests.Session
) -> None:
    jira = {"fields": {"summary": "From variables", "project": {"key": "DEMO"}, "labels": ["v"]}}
    answer = graphql(xray, sandbox, CREATE_WITH_VARIABLES, {"jira": jira, "tests": ["10003"]})
    assert answer.status_code == 200, answer.text
    assert answer.json()["data"]["createTestExecution"]["testExecution"]["jira"] == {
        "key": "DEMO-461",
        "summary": "From variables",
        "labels": ["v"],
    }
    assert list(sandbox.test_executions()[0]["runs"]) == ["DEMO-3"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"project": {"key": "DEMO"}}, "You must specify a summary of the issue."),
        ({"summary": "No project"}, "You must specify a project of the issue."),
    ],
)
def test_graphql_creation_without_summary_or_project_answers_errors(
    sandbox: Sandbox, xray: requests.Session, fields: dict[str, Any], message: str
) -> None:
    answer = graphql(xray, sandbox, CREATE_WITH_VARIABLES, {"jira": {"fields": fields}})
    assert answer.json() == {
        "data": {"createTestExecution": None},
        "errors": [{"message": message, "path": ["createTestExecution"]}],
    }
    assert sandbox.test_executions() == []


BY_LABEL = (
    '{ getTestExecutions(jql: "labels = \\"nightly\\"", limit: 10) { total results { issueId } } }'
)


def test_created_executions_are_found_by_key_and_by_label(
    sandbox: Sandbox, xray: requests.Session
) -> None:
    graphql(xray, sandbox, CREATE)  # DEMO-461, labelled nightly
    post_import(xray, sandbox, {"info": NEW})  # DEMO-462, no label
    by_label = graphql(
        xray,
        sandbox,
        BY_LABEL,
    ).json()["data"]["getTestExecutions"]
    assert (by_label["total"], by_label["results"][0]["issueId"]) == (1, "10461")
    by_key = graphql(
        xray, sandbox, '{ getTestExecutions(jql: "key = DEMO-462", limit: 1) { total } }'
    ).json()["data"]["getTestExecutions"]
    assert by_key["total"] == 1
    every = graphql(
        xray, sandbox, "{ getTestExecutions(limit: 1, start: 211) { total results { jira } } }"
    )
    listed = every.json()["data"]["getTestExecutions"]
    assert listed["total"] == 212
    assert listed["results"][0]["jira"]["key"] == "DEMO-462"
    jira = requests.get(
        f"{sandbox.url}/rest/api/3/search/jql",
        params={"jql": "project = DEMO AND labels = nightly", "fields": "summary,labels"},
        auth=(DEMO.jira_email, DEMO.jira_api_token),
    )
    assert [(i["key"], i["fields"]["labels"]) for i in jira.json()["issues"]] == [
        ("DEMO-461", ["nightly"])
    ]


READ_BACK = """
query($id: String) {
  getTestExecution(issueId: $id) {
    testRuns(limit: 1, start: 1) { total start limit results {
      id status { name } comment test { jira(fields: ["key"]) }
      iterations(limit: 1) { results { name parameters { name value } status { name } } }
      evidences { filename }
    } }
  }
}
"""


def test_getTestExecution_reads_the_runs_back_a_page_at_a_time(
    sandbox: Sandbox, xray: requests.Session
) -> None:
    tests = [
        {"testKey": "DEMO-1", "status": "PASSED"},
        {
            "testKey": "DEMO-2",
            "status": "FAILED",
            "comment": "boom",
            "evidence": [{"data": EVIDENCE, "filename": "shot.png"}],
            "iterations": [
                {"name": "one", "parameters": [{"name": "n", "value": "1"}], "status": "PASSED"},
                {"name": "two", "status": "FAILED"},
            ],
        },
    ]
    issue_id = post_import(xray, sandbox, {"info": NEW, "tests": tests}).json()["id"]
    answer = graphql(xray, sandbox, READ_BACK, {"id": issue_id})
    assert answer.status_code == 200, answer.text
    runs = answer.json()["data"]["getTestExecution"]["testRuns"]
    assert (runs["total"], runs["start"], runs["limit"]) == (2, 1, 1)
    [run] = runs["results"]
    assert run["status"] == {"name": "FAILED"}
    assert run["comment"] == "boom"
    assert run["test"]["jira"]["key"] == "DEMO-2"
    assert run["iterations"]["total"] == 2
    assert run["iterations"]["results"] == [
        {"name": "one", "parameters": [{"name": "n", "value": "1"}], "status": {"name": "PASSED"}}
    ]
    assert [e["filename"] for e in run["evidences"]] == ["shot.png"]
    unknown = graphql(xray, sandbox, READ_BACK, {"id": "10001"})  # a Test, not an execution
    assert unknown.json() == {"data": {"getTestExecution": None}}


@pytest.mark.parametrize("runs", ["testRuns", "testRuns(limit: 0)", "testRuns(limit: 101)"])
def test_getTestExecution_runs_need_a_limit_of_1_to_100(
    sandbox: Sandbox, xray: requests.Session, runs: str
) -> None:
    query = f'{{ getTestExecution(issueId: "10300") {{ {runs} {{ total }} }} }}'
    answer = graphql(xray, sandbox, query)
    assert answer.status_code == 400
    assert "limit" in answer.json()["errors"][0]["message"]


def test_a_graphql_syntax_error_is_a_400(sandbox: Sandbox, xray: requests.Session) -> None:
    answer = graphql(xray, sandbox, "{ getTestExecution(issueId: ) { issueId } }")
    assert answer.status_code == 400
    assert "Syntax Error" in answer.json()["errors"][0]["message"]


# Both deployments


def test_an_import_whose_answer_is_lost_has_still_landed(
    sandbox: Sandbox, xray: requests.Session
) -> None:
    sandbox.add_faults(Fault.dropped_after(), route="xray.import")
    body = {"info": NEW, "tests": [{"testKey": "DEMO-1", "status": "PASSED"}]}
    with pytest.raises(requests.ConnectionError):
        post_import(xray, sandbox, body)
    assert [e["key"] for e in sandbox.test_executions()] == ["DEMO-461"]
    assert sandbox.count("xray.import", status=0) == 1
    retried = post_import(xray, sandbox, {"testExecutionKey": "DEMO-461", **body})
    assert retried.status_code == 200
    assert len(sandbox.test_executions()) == 1


def test_a_drop_after_fault_is_neither_a_drop_before_nor_a_status() -> None:
    with pytest.raises(ValueError, match="exclude"):
        Fault(drop=True, drop_after=True)
    assert Fault.dropped_after().drop_after
    assert not Fault.dropped_after().drop


def test_reset_forgets_created_executions_and_runs(
    sandbox: Sandbox, xray: requests.Session
) -> None:
    post_import(xray, sandbox, {"info": NEW})
    post_import(xray, sandbox, {"testExecutionKey": "DEMO-300", "tests": []})
    assert len(sandbox.test_executions()) == 2
    sandbox.reset()
    assert sandbox.test_executions() == []
    assert post_import(xray, sandbox, {"info": NEW}).json()["key"] == "DEMO-461"


def test_executions_created_at_once_each_get_a_key_of_their_own(
    sandbox: Sandbox, xray: requests.Session
) -> None:
    token = xray.headers["Authorization"]
    keys: list[str] = []

    def create() -> None:
        with requests.Session() as own:
            own.headers["Authorization"] = token
            for _ in range(5):
                keys.append(post_import(own, sandbox, {"info": NEW}).json()["key"])

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 30
    assert sorted(e["key"] for e in sandbox.test_executions()) == sorted(keys)


@pytest.mark.scale
def test_an_import_of_ten_thousand_results_lands_whole(
    sandbox: Sandbox, xray: requests.Session
) -> None:
    tests = [
        {
            "testKey": f"DEMO-{n % 250 + 1}",
            "status": "PASSED",
            "comment": "ok " * 40,
            "iterations": [
                {
                    "name": f"case {n}",
                    "parameters": [{"name": "n", "value": str(n)}],
                    "status": "PASSED",
                }
            ],
        }
        for n in range(10_000)
    ]
    body = {"info": NEW, "tests": tests}
    assert len(json.dumps(body)) > 2_000_000  # a few MB, under the stand-in's body cap
    answer = post_import(xray, sandbox, body)
    assert answer.status_code == 200, answer.text[:200]
    [execution] = sandbox.test_executions()
    assert len(execution["runs"]) == 250  # one run per Test: the later ones replaced the earlier


# Through the plugin's own sessions


def test_cloud_sessions_see_what_they_created(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile(
        """
        CREATE = '''mutation($jira: JSON!) { createTestExecution(jira: $jira) {
            testExecution { issueId jira(fields: ["key"]) } } }'''

        def test_created_then_found(xray_session, jira_session):
            fields = {"summary": "Plugin run", "project": {"key": "DEMO"}, "labels": ["ci"]}
            made = xray_session.post(
                "graphql", json={"query": CREATE, "variables": {"jira": {"fields": fields}}}
            ).json()["data"]["createTestExecution"]["testExecution"]
            key = made["jira"]["key"]
            body = {"testExecutionKey": key, "tests": [{"testKey": "DEMO-1", "status": "PASSED"}]}
            assert xray_session.post("import/execution", json=body).status_code == 200
            found = jira_session.get("search/jql", params={"jql": "labels = ci", "fields": "key"})
            assert [issue["key"] for issue in found.json()["issues"]] == [key]
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    [execution] = cloud_env.test_executions()
    assert execution["runs"]["DEMO-1"]["status"] == "PASSED"
    assert cloud_env.count("xray.authenticate") == 1


def test_datacenter_sessions_see_what_they_created(
    pytester: pytest.Pytester, datacenter_env: Sandbox
) -> None:
    pytester.makepyfile(
        """
        def test_created_then_found(xray_session, jira_session):
            fields = {
                "project": {"key": "DEMO"},
                "summary": "Plugin run",
                "issuetype": {"name": "Test Execution"},
            }
            key = jira_session.post("issue", json={"fields": fields}).json()["key"]
            body = {"testExecutionKey": key, "tests": [{"testKey": "DEMO-1", "status": "PASS"}]}
            landed = xray_session.post("import/execution", json=body).json()
            assert landed["testIssues"]["error"] == []
            runs = xray_session.get(f"api/testexec/{key}/test").json()
            assert [(run["key"], run["status"]) for run in runs] == [("DEMO-1", "PASS")]
            found = jira_session.get("search", params={"jql": f"key = {key}"}).json()
            assert found["total"] == 1
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert [e["key"] for e in datacenter_env.test_executions()] == ["DEMO-461"]
