"""Zephyr Scale's payload rules, without a server: one execution per test case, the worst
status, iterations in the comment with the run's label first, evidence per deployment, and
every answer read as untrusted input."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from pytest_tm_auth.results import zephyr_payload as zephyr
from pytest_tm_auth.results.model import Evidence, PublishError, Result
from pytest_tm_auth.results.zephyr_payload import ZephyrSettings, build_payload, rechecked

LABEL = "tm-auth-0a1b2c3d4e5f"
HEADER = {"label": LABEL, "host": "build-7", "started": 1_796_000_000.0}


def result(nodeid: str, case: str, outcome: str = "passed", **fields: Any) -> Result:
    test = nodeid.partition("[")[0]
    start = 1_796_000_000.0
    return Result(nodeid, test, {"zephyr": (case,)}, outcome, start, start + 1.5, **fields)


def payload(
    *results: Result, deployment: str = "cloud", key: str | None = None, **settings: Any
) -> tuple[dict[str, Any], list[str]]:
    return build_payload(results, HEADER, ZephyrSettings(**settings), deployment, key)


def test_a_parametrized_test_is_one_execution_with_its_worst_status_and_iterations() -> None:
    built, dropped = payload(
        result("t.py::p[1]", "DEMO-T1", iteration="1"),
        result("t.py::p[2]", "DEMO-T1", "failed", iteration="2", comment="boom"),
        result("t.py::p[3]", "DEMO-T1", "skipped", iteration="3"),
        project="DEMO",
    )
    (execution,) = built["executions"]
    assert execution["testCaseKey"] == "DEMO-T1"
    assert execution["statusName"] == "Fail"
    assert execution["executionTime"] == 4500  # the sum of its iterations, in ms
    assert execution["actualEndDate"] == "2026-11-30T00:53:21Z"
    assert execution["comment"].splitlines() == [
        f"{LABEL}: t.py::p",
        "[Pass] 1",
        "[Fail] 2",
        "  boom",
        "[Not Executed] 3",
    ]
    assert execution["source"] == "t.py::p"
    assert dropped == []


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        ("passed", "Pass"),
        ("failed", "Fail"),
        ("error", "Fail"),
        ("skipped", "Not Executed"),
        ("xfailed", "Fail"),
        ("xpassed", "Pass"),
    ],
)
def test_each_outcome_has_a_default_status(outcome: str, status: str) -> None:
    built, _ = payload(result("t.py::a", "DEMO-T2", outcome), project="DEMO")
    assert built["executions"][0]["statusName"] == status


def test_a_new_cycle_is_named_after_the_run_and_carries_its_label() -> None:
    built, _ = payload(result("t.py::a", "DEMO-T2"))
    assert built["projectKey"] == "DEMO"  # the one project of the linked cases
    assert LABEL in built["testCycle"]["name"]
    assert LABEL in built["testCycle"]["description"]
    assert "testCycleKey" not in built
    named, _ = payload(result("t.py::a", "DEMO-T2"), key="DEMO-R3", cycle_name="Nightly")
    assert named["testCycleKey"] == "DEMO-R3"
    assert "testCycle" not in named


def test_the_environment_goes_on_every_execution() -> None:
    built, _ = payload(result("t.py::a", "DEMO-T2"), environment="Linux")
    assert built["executions"][0]["environmentName"] == "Linux"


def test_cases_of_two_projects_need_the_project_setting() -> None:
    with pytest.raises(PublishError, match="set --zephyr-project"):
        payload(result("t.py::a", "DEMO-T2"), result("t.py::b", "SBX-T1"))


def test_evidence_is_said_once_on_cloud_and_attached_on_datacenter() -> None:
    data = base64.b64encode(b"log").decode()
    evidence = (Evidence("log.txt", "text/plain", data, 3),)
    linked = [
        result("t.py::a", "DEMO-T2", evidence=evidence),
        result("t.py::b", "DEMO-T3", evidence=evidence * 2),
    ]
    cloud, dropped = payload(*linked)
    assert "attachments" not in cloud["executions"][0]
    assert dropped == [
        "3 evidence file(s) of 2 test(s) not sent: Zephyr Scale Cloud's API takes no attachments"
    ]
    center, dropped = payload(*linked, deployment="datacenter")
    assert [len(e["attachments"]) for e in center["executions"]] == [1, 2]
    assert dropped == []


def test_settings_refuse_a_malformed_cycle_or_project_key() -> None:
    with pytest.raises(PublishError, match="not a Zephyr Scale cycle or run key"):
        ZephyrSettings.from_header({"services": {"zephyr": {"test_cycle": "DEMO-12"}}})
    with pytest.raises(PublishError, match="not a project key"):
        ZephyrSettings.from_header({"services": {"zephyr": {"project": "demo project"}}})
    given = {"services": {"zephyr": {"test_cycle": " DEMO-R4 ", "project": "DEMO"}}}
    assert ZephyrSettings.from_header(given).existing == "DEMO-R4"


def test_a_hook_s_payload_is_scrubbed_and_checked_again() -> None:
    built, _ = payload(result("t.py::a", "DEMO-T2"), key="DEMO-R3")
    built["executions"][0]["comment"] = "said demo-token-not-real"
    built["executions"][0]["customFields"] = {"note": "demo-token-not-real"}
    cleaned = rechecked(built, "DEMO-R3", lambda text: text.replace("demo-token-not-real", "***"))
    assert cleaned["executions"][0]["comment"] == "said ***"
    assert cleaned["executions"][0]["customFields"] == {"note": "***"}
    moved = {**built, "testCycleKey": "DEMO-R9"}
    with pytest.raises(PublishError, match="changed testCycleKey"):
        rechecked(moved, "DEMO-R3", str)
    built["executions"][0]["testCaseKey"] = "DEMO-12"
    with pytest.raises(PublishError, match="is not a Zephyr key"):
        rechecked(built, "DEMO-R3", str)


@pytest.mark.parametrize(
    "body", ["", "[]", '{"testCycle": {}}', '{"testCycle": {"key": "<b>"}}', "{" * 5000]
)
def test_an_upload_answer_without_a_cycle_is_an_outcome_unknown(body: str) -> None:
    with pytest.raises(PublishError) as raised:
        zephyr.uploaded(body)
    assert raised.value.ambiguous
    assert "a replay looks for it by its label" in str(raised.value)


def test_an_upload_answer_names_its_cycle_and_only_a_web_url() -> None:
    said = '{"testCycle": {"key": "DEMO-R30", "url": "javascript:alert(1)"}}'
    assert zephyr.uploaded(said) == ("DEMO-R30", "")


@pytest.mark.parametrize("body", ['{"values": []}', '{"isLast": true}', "[]", "<html>"])
def test_a_listing_of_another_shape_fails_loudly_naming_it(body: str) -> None:
    with pytest.raises(PublishError, match="answered listing"):
        zephyr.cloud_page(body, "listing the cycles")


def test_results_carrying_the_label_are_found_by_their_comment_start() -> None:
    listed = [
        {"id": 1, "testCaseKey": "DEMO-T1", "comment": f"{LABEL}: t.py::a"},
        {"id": 2, "testCaseKey": "DEMO-T2", "comment": f"another run, not {LABEL}: x"},
        {"id": 3, "testCase": {"self": "https://x/v2/testcases/DEMO-T3/versions/1"},
         "comment": f"{LABEL}: t.py::c"},
        {"id": 4, "testCaseKey": "<script>", "comment": f"{LABEL}: t.py::d"},
        "garbage",
    ]  # fmt: skip
    assert zephyr.carrying_ids(listed, LABEL) == {"DEMO-T1": "1", "DEMO-T3": "3"}


def test_bulk_result_ids_must_match_what_was_sent() -> None:
    assert zephyr.result_ids('[{"id": 5}, {"id": 6}]', 2) == ["5", "6"]
    with pytest.raises(PublishError) as raised:
        zephyr.result_ids('[{"id": 5}]', 2)
    assert raised.value.ambiguous


@pytest.mark.parametrize(
    ("links", "kept"),
    [
        ({"zephyr": ["DEMO-T12"]}, True),
        ({"zephyr": ["DEMO-12"]}, False),
        ({"xray": ["DEMO-T12"]}, False),
        ({"xray": ["DEMO-12"], "zephyr": ["DEMO-T1"]}, True),
    ],
)
def test_a_journaled_result_s_keys_are_checked_per_service(
    links: dict[str, list[str]], kept: bool
) -> None:
    data = result("t.py::a", "DEMO-T1").to_data() | {"links": links}
    assert (Result.from_data(data) is not None) == kept
