"""The Xray import payload from a journal's results, and Xray's answers read as untrusted."""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pytest_tm_auth.core.token import iso_time
from pytest_tm_auth.results import xray_payload as xray
from pytest_tm_auth.results.model import EVIDENCE_FILES_PER_TEST, Evidence, Result
from pytest_tm_auth.results.xray_payload import PublishError, XraySettings, build_payload

START = 1_796_000_000.0  # 2026-11-30 ...
HEADER: dict[str, Any] = {
    "run": "0a1b2c3d4e5f",
    "label": "tm-auth-0a1b2c3d4e5f",
    "host": "build-7",
    "started": START,
    "services": {"xray": {"project": "DEMO", "environments": ["linux", "py3.13"]}},
}


def result(nodeid: str, outcome: str = "passed", *keys: str, **fields: Any) -> Result:
    test = nodeid.partition("[")[0]
    return Result(
        nodeid, test, {"xray": keys or ("DEMO-1",)}, outcome, START, START + 2.5, **fields
    )


def payload(*results: Result, deployment: str = "cloud", **settings: Any) -> dict[str, Any]:
    built, _ = build_payload(list(results), HEADER, XraySettings(**settings), deployment, "DEMO-9")
    return built


@pytest.mark.parametrize(
    ("deployment", "passed", "failed"),
    [("cloud", "PASSED", "FAILED"), ("datacenter", "PASS", "FAIL")],
)
def test_status_names_are_the_deployments(deployment: str, passed: str, failed: str) -> None:
    built = payload(
        result("t.py::a", "passed", "DEMO-1"),
        result("t.py::b", "failed", "DEMO-2"),
        result("t.py::c", "skipped", "DEMO-3"),
        deployment=deployment,
    )
    assert [test["status"] for test in built["tests"]] == [passed, failed, "TODO"]
    assert built["testExecutionKey"] == "DEMO-9"


def test_an_override_names_a_status_and_a_bad_one_is_one_line() -> None:
    built = payload(result("t.py::c", "skipped"), statuses="skipped=ABORTED")
    assert built["tests"][0]["status"] == "ABORTED"
    with pytest.raises(PublishError, match="not OUTCOME=STATUS"):
        payload(result("t.py::c"), statuses="skipped")


def test_parametrized_variants_are_iterations_with_the_worst_status() -> None:
    built = payload(
        result("t.py::p[1]", "passed", iteration="1", parameters=(("n", "1"),)),
        result("t.py::p[2]", "failed", iteration="2", parameters=(("n", "2"),), comment="boom"),
        result("t.py::p[3]", "skipped", iteration="3", parameters=(("n", "3"),)),
    )
    (test,) = built["tests"]
    assert test["status"] == "FAILED"
    assert [it["name"] for it in test["iterations"]] == ["1", "2", "3"]
    assert [it["status"] for it in test["iterations"]] == ["PASSED", "FAILED", "TODO"]
    assert test["iterations"][1]["parameters"] == [{"name": "n", "value": "2"}]
    assert test["comment"] == "[2] boom"


def test_a_key_linked_by_several_tests_keeps_each_as_an_iteration_named_by_its_node() -> None:
    built = payload(
        result("t.py::a", "passed", "DEMO-1"), result("u.py::b", "xfailed", "DEMO-1", "DEMO-2")
    )
    tests = {test["testKey"]: test for test in built["tests"]}
    assert [it["name"] for it in tests["DEMO-1"]["iterations"]] == ["t.py::a", "u.py::b"]
    assert tests["DEMO-1"]["status"] == "FAILED"  # xfailed is worse than passed
    assert "iterations" not in tests["DEMO-2"]


def test_a_test_run_in_several_places_keeps_each_run_under_its_own_name() -> None:
    built = payload(
        result("t.py::p[1]", "passed", iteration="1"),
        result("t.py::p[1]", "failed", iteration="1"),
    )
    names = [it["name"] for it in built["tests"][0]["iterations"]]
    assert names == ["1", "1 (run 2)"]


def test_dates_are_iso_8601_with_an_offset_and_info_names_the_run() -> None:
    built = payload(result("t.py::a"), project="DEMO", test_plan="DEMO-5", environments=("linux",))
    test, info = built["tests"][0], built["info"]
    assert test["start"].endswith("+00:00")
    assert test["start"][10] == "T"
    assert info["summary"].startswith("pytest run tm-auth-0a1b2c3d4e5f on build-7, ")
    assert info["project"] == "DEMO"
    assert info["testPlanKey"] == "DEMO-5"
    assert info["testEnvironments"] == ["linux"]
    assert payload(result("t.py::a"), summary="nightly")["info"]["summary"] == "nightly"


def test_an_existing_execution_keeps_its_summary_unless_one_is_set() -> None:
    assert "summary" not in payload(result("t.py::a"), test_execution="DEMO-500")["info"]
    given = payload(result("t.py::a"), test_execution="DEMO-500", summary="nightly")
    assert given["info"]["summary"] == "nightly"


def test_evidence_beyond_the_files_per_test_is_dropped_and_said() -> None:
    data = base64.b64encode(b"x").decode()
    many = tuple(
        Evidence(f"f{i}.txt", "text/plain", data, 1) for i in range(EVIDENCE_FILES_PER_TEST + 2)
    )
    built, dropped = build_payload(
        [result("t.py::a", evidence=many)], HEADER, XraySettings(), "cloud", "DEMO-9"
    )
    assert len(built["tests"][0]["evidence"]) == EVIDENCE_FILES_PER_TEST
    assert len(dropped) == 2
    assert "DEMO-1: evidence 'f20.txt' dropped" in dropped[0]


def test_evidence_beyond_the_run_budget_is_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xray, "EVIDENCE_BYTES_PER_RUN", 3)
    two = Evidence("a.bin", "application/octet-stream", "AAA=", 2)
    built, dropped = build_payload(
        [
            result("t.py::a", "passed", "DEMO-1", evidence=(two,)),
            result("t.py::b", "passed", "DEMO-2", evidence=(two,)),
        ],
        HEADER,
        XraySettings(),
        "cloud",
        "DEMO-9",
    )
    assert "evidence" in built["tests"][0]
    assert "evidence" not in built["tests"][1]
    assert dropped == ["DEMO-2: evidence 'a.bin' dropped (over the evidence bytes per run)"]


def test_settings_from_a_header_refuse_a_malformed_key() -> None:
    header = {"services": {"xray": {"test_execution": "not a key"}}}
    with pytest.raises(PublishError, match="not a Jira issue key"):
        XraySettings.from_header(header)
    assert XraySettings.from_header(
        {"services": {"xray": {"environments": "a, b"}}}
    ).environments == ("a", "b")


# After the team's hook


def test_what_a_hook_adds_is_scrubbed_again() -> None:
    built = payload(result("t.py::a"))
    built["info"]["description"] = "token demo-token-not-real here"
    built["tests"][0]["comment"] = "demo-token-not-real"
    cleaned = xray.rechecked(
        built, "DEMO-9", lambda text: text.replace("demo-token-not-real", "***")
    )
    assert cleaned["info"]["description"] == "token *** here"
    assert cleaned["tests"][0]["comment"] == "***"


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda p: p.update(testExecutionKey="DEMO-77"), "changed testExecutionKey"),
        (lambda p: p.update(tests="all"), "not a list"),
        (lambda p: p["tests"][0].update(testKey="nope"), "is not a Jira key"),
        (lambda p: p["info"].update(when=object()), "JSON cannot carry"),
    ],
)
def test_a_hook_that_breaks_the_payload_is_one_line(change: Any, said: str) -> None:
    built = payload(result("t.py::a"))
    change(built)
    with pytest.raises(PublishError, match=said):
        xray.rechecked(built, "DEMO-9", str)


# Answers


def test_a_datacenter_200_with_rejected_tests_fails_naming_each_with_xrays_words() -> None:
    body = (
        '{"testExecIssue": {"key": "DEMO-9"}, "testIssues": {"success": [], "error": ['
        '{"testKey": "DEMO-7", "messages": ["Test with key DEMO-7 not found"]},'
        '{"testKey": "DEMO-8", "messages": ["Status \\u001b[31mFAILED\\u001b[0m unknown"]}]}}'
    )
    with pytest.raises(PublishError) as raised:
        xray.imported("datacenter", body, "DEMO-9")
    message = str(raised.value)
    assert "DEMO-7 (Test with key DEMO-7 not found)" in message
    assert "DEMO-8 (" in message
    assert "\x1b" not in message


def test_an_answer_naming_another_execution_is_a_failure() -> None:
    with pytest.raises(PublishError, match=r"naming another Test Execution \(DEMO-10\)"):
        xray.imported("cloud", '{"key": "DEMO-10", "id": "1"}', "DEMO-9")
    xray.imported("cloud", '{"key": "DEMO-9", "id": "1"}', "DEMO-9")


def test_garbage_or_a_huge_body_is_one_bounded_line() -> None:
    with pytest.raises(PublishError) as raised:
        xray.imported("cloud", "<html>" + "x\n" * 100_000, "DEMO-9")
    assert "\n" not in str(raised.value)
    assert len(str(raised.value)) < 300


def test_a_creation_answer_without_a_key_is_ambiguous() -> None:
    assert xray.created("datacenter", '{"id": "10001", "key": "DEMO-9"}') == ("DEMO-9", "10001")
    made = '{"testExecution": {"issueId": "1", "jira": {"key": "DEMO-9"}}}'
    cloud = '{"data": {"createTestExecution": ' + made + "}}"
    assert xray.created("cloud", cloud) == ("DEMO-9", "1")
    with pytest.raises(PublishError) as raised:
        xray.created("cloud", '{"data": null}')
    assert raised.value.ambiguous
    with pytest.raises(PublishError, match="refused to create") as refused:
        xray.created("cloud", '{"errors": [{"message": "project is required"}]}')
    assert not refused.value.ambiguous


def test_a_search_keeps_only_well_formed_keys() -> None:
    body = '{"issues": [{"key": "DEMO-3", "id": "3"}, {"key": "../../x", "id": "4"}]}'
    assert xray.found("datacenter", body) == [("DEMO-3", "3")]
    with pytest.raises(PublishError):
        xray.found("cloud", "[]")


def test_a_key_one_unparametrized_test_links_is_one_entry_without_iterations() -> None:
    """The common entry (made without grouping) holds what the grouped one would."""
    data = base64.b64encode(b"x").decode()
    full = result(
        "t.py::a",
        "failed",
        comment="assert 1 == 2",
        defects=("DEMO-7", "DEMO-7", "DEMO-8"),
        evidence=(Evidence("a.txt", "text/plain", data, 1),),
    )
    plain, entry = payload(result("t.py::b", "passed", "DEMO-2"), full)["tests"]
    assert plain == {
        "testKey": "DEMO-2",
        "start": "2026-11-30T00:53:20+00:00",
        "finish": "2026-11-30T00:53:22+00:00",
        "status": "PASSED",
    }
    assert entry == {
        "testKey": "DEMO-1",
        "start": "2026-11-30T00:53:20+00:00",
        "finish": "2026-11-30T00:53:22+00:00",
        "status": "FAILED",
        "comment": "assert 1 == 2",
        "defects": ["DEMO-7", "DEMO-8"],
        "evidence": [{"data": data, "filename": "a.txt", "contentType": "text/plain"}],
    }


@given(st.floats(min_value=0, max_value=2e11, allow_nan=False))
@example(1733600000.9999995)
@example(90343240.9999995)
@example(1733600000.9999994)
@example(1e11)
def test_a_moment_is_written_as_datetime_writes_it_though_each_second_is_kept(
    moment: float,
) -> None:
    """Payload times are written once per second (a run shares a few among thousands of
    results), rounded as ``datetime`` rounds them, and out of range without the cache."""
    expected = datetime.fromtimestamp(moment, tz=timezone.utc).isoformat(timespec="seconds")

    assert iso_time(moment) == expected
