"""What Xray's JUnit import and Zephyr Scale's upload answer, read as untrusted input, and
the file a Zephyr Scale upload sends: pure functions, no server."""

from __future__ import annotations

import json
import os
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from pytest_tm_auth.results.xray_client import JUnitImport, landed
from pytest_tm_auth.results.xray_payload import PublishError
from pytest_tm_auth.results.zephyr_automation import (
    UPLOAD_LIMIT,
    ReportTooLarge,
    converted,
    fitted,
)
from pytest_tm_auth.results.zephyr_payload import uploaded

DC_ERRORS = {
    "testExecIssue": {"id": "1", "key": "DEMO-500"},
    "testIssues": {"success": [], "error": [{"testKey": "DEMO-7", "messages": ["not a Test"]}]},
}


def test_the_query_holds_the_settings_that_are_set() -> None:
    settings = JUnitImport("DEMO", None, "DEMO-9", ("Chrome", "Linux"), "abc", None)
    assert settings.query() == {
        "projectKey": "DEMO",
        "testPlanKey": "DEMO-9",
        "testEnvironments": "Chrome;Linux",
        "revision": "abc",
    }


def test_an_import_s_answer_names_the_execution() -> None:
    assert landed("cloud", '{"id": "1", "key": "DEMO-500", "self": "x"}', None) == "DEMO-500"
    assert landed("datacenter", json.dumps({"testExecIssue": {"key": "DEMO-5"}}), None) == "DEMO-5"
    assert landed("cloud", '{"key": "DEMO-5"}', "DEMO-5") == "DEMO-5"


@pytest.mark.parametrize(
    ("deployment", "body", "expected", "said"),
    [
        ("cloud", "<html>proxy</html>", None, "something that is not JSON: <html>proxy</html>"),
        ("cloud", '{"key": "not a key\\u001b[2J"}', None, "naming no Test Execution"),
        ("cloud", '{"id": "1"}', None, "naming no Test Execution"),
        ("cloud", '{"key": "DEMO-6"}', "DEMO-5", "into DEMO-5 naming another Test Execution"),
        ("datacenter", json.dumps(DC_ERRORS), None, "rejected results in DEMO-500: DEMO-7 (not"),
    ],
)
def test_an_import_s_answer_that_is_not_a_landing_fails(
    deployment: str, body: str, expected: str | None, said: str
) -> None:
    with pytest.raises(PublishError) as failed:
        landed(deployment, body, expected)
    assert said in str(failed.value)
    assert "\x1b" not in str(failed.value)


def test_an_upload_s_answer_names_the_cycle_and_a_web_address_only() -> None:
    body = {"testCycle": {"id": 1, "key": "DEMO-R40", "url": "https://x/cycles/DEMO-R40"}}
    assert uploaded(json.dumps(body)) == ("DEMO-R40", "https://x/cycles/DEMO-R40")
    body["testCycle"]["url"] = "javascript:alert(1)"
    assert uploaded(json.dumps(body)) == ("DEMO-R40", "")
    assert uploaded('{"testCycle": {"key": "DEMO-C12", "url": 7}}') == ("DEMO-C12", "")


@pytest.mark.parametrize(
    "body", ["", "[]", '{"testCycle": {"key": "R40"}}', '{"testCycle": "DEMO-R40"}']
)
def test_an_upload_s_answer_without_a_cycle_fails_as_maybe_landed(body: str) -> None:
    with pytest.raises(PublishError, match="names no test cycle") as failed:
        uploaded(body)
    assert failed.value.ambiguous


def test_a_report_goes_as_it_is_under_10_mb_and_zipped_over(tmp_path: Path) -> None:
    small = tmp_path / "small.xml"
    small.write_bytes(b"<testsuite/>")
    assert fitted(small) == ("small.xml", b"<testsuite/>", "text/xml")
    big = tmp_path / "big.xml"
    big.write_bytes(b"<testsuite>" + b" " * UPLOAD_LIMIT + b"</testsuite>")
    name, data, media_type = fitted(big)
    assert (name, media_type) == ("big.zip", "application/zip")
    with zipfile.ZipFile(BytesIO(data)) as archive:
        assert archive.read("big.xml") == big.read_bytes()


def test_a_report_over_10_mb_even_zipped_is_refused(tmp_path: Path) -> None:
    noise = tmp_path / "noise.xml"
    noise.write_bytes(os.urandom(UPLOAD_LIMIT + 4096))
    with pytest.raises(ReportTooLarge, match="over the 10 MB Zephyr Scale takes, even zipped"):
        fitted(noise)


def test_data_center_gets_the_cases_in_the_custom_format(tmp_path: Path) -> None:
    report = tmp_path / "r.xml"
    report.write_text(
        "<testsuite><testcase classname='c' name='test_DEMO_T3'><skipped/></testcase>"
        "<testcase name='Demo test case 4'><error message='x'/></testcase></testsuite>",
        encoding="utf-8",
    )
    with zipfile.ZipFile(BytesIO(converted(report))) as archive:
        document = json.loads(archive.read("results.json"))
    assert document == {
        "version": 1,
        "executions": [
            {"source": "c.test_DEMO_T3", "result": "Not Executed", "testCase": {"key": "DEMO-T3"}},
            {
                "source": "Demo test case 4",
                "result": "Failed",
                "testCase": {"name": "Demo test case 4"},
            },
        ],
    }
