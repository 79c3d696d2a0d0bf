"""The stand-in's JUnit imports (Xray Cloud and Data Center) and its refusal of hostile files."""

from __future__ import annotations

import io
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator

import pytest
import requests

from pytest_tm_auth.sandbox import DEMO, Sandbox
from tests.environment import bearer_session

REPORT = b"""<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="5">
<testcase classname="t" name="test_a"><properties>
  <property name="test_key" value="DEMO-6"/></properties></testcase>
<testcase classname="t" name="test_b"><properties>
  <property name="test_key" value="DEMO-7"/></properties><failure message="demo failure"/>
</testcase>
<testcase classname="t" name="test_c"><properties>
  <property name="test_key" value="DEMO-8"/></properties><skipped/></testcase>
<testcase classname="t" name="test_d[1]"><properties>
  <property name="test_key" value="DEMO-9"/></properties></testcase>
<testcase classname="t" name="test_d[2]"><properties>
  <property name="test_key" value="DEMO-9"/></properties><error message="boom"/></testcase>
<testcase classname="t" name="test_unlinked"/>
</testsuite></testsuites>"""

UNKNOWN_KEY = REPORT.replace(b'value="DEMO-8"', b'value="DEMO-9999"')

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]><testsuite><testcase name="&lol9;"/></testsuite>"""
REFUSED_DOCTYPE = "The XML declares a DOCTYPE or entities; refused."


@pytest.fixture
def xray(sandbox: Sandbox) -> Iterator[requests.Session]:
    with bearer_session(sandbox.issue_xray_token()) as session:
        yield session


@pytest.fixture
def jira(sandbox: Sandbox) -> Iterator[requests.Session]:
    with bearer_session(DEMO.jira_pat) as session:
        yield session


def cloud_import(
    sandbox: Sandbox, xray: requests.Session, report: bytes, **query: str
) -> requests.Response:
    url = f"{sandbox.url}/api/v2/import/execution/junit"
    return xray.post(url, params=query, data=report, headers={"Content-Type": "text/xml"})


def dc_import(
    sandbox: Sandbox, jira: requests.Session, report: bytes, **query: str
) -> requests.Response:
    url = f"{sandbox.jira_dc_url}/rest/raven/1.0/import/execution/junit"
    return jira.post(url, params=query, files={"file": ("report.xml", report, "text/xml")})


def statuses(sandbox: Sandbox, key: str) -> dict[str, str]:
    (execution,) = [e for e in sandbox.test_executions() if e["key"] == key]
    return {test: run["status"] for test, run in execution["runs"].items()}


def test_xray_cloud_junit_import_lands_linked_testcases(
    sandbox: Sandbox, xray: requests.Session
) -> None:
    answer = cloud_import(
        sandbox,
        xray,
        REPORT,
        projectKey="DEMO",
        testPlanKey="DEMO-100",
        testEnvironments="chrome;linux",
        revision="abc123",
        fixVersion="1.0",
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["key"] == "DEMO-461"
    assert set(answer.json()) == {"id", "key", "self"}
    assert statuses(sandbox, "DEMO-461") == {
        "DEMO-6": "PASSED",
        "DEMO-7": "FAILED",
        "DEMO-8": "TODO",
        "DEMO-9": "FAILED",
    }
    (execution,) = sandbox.test_executions()
    assert execution["environments"] == ["chrome", "linux"]
    assert (execution["test_plan"], execution["version"], execution["revision"]) == (
        "DEMO-100",
        "1.0",
        "abc123",
    )
    assert execution["runs"]["DEMO-7"]["comment"] == "demo failure"


def test_xray_cloud_junit_import_into_a_given_execution(
    sandbox: Sandbox, xray: requests.Session
) -> None:
    for _ in range(2):
        answer = cloud_import(sandbox, xray, REPORT, testExecKey="DEMO-300")
        assert (answer.status_code, answer.json()["key"]) == (200, "DEMO-300")
    (execution,) = sandbox.test_executions()
    assert (execution["key"], execution["created"], len(execution["runs"])) == (
        "DEMO-300",
        False,
        4,
    )


@pytest.mark.parametrize(
    ("report", "content_type", "message"),
    [
        (UNKNOWN_KEY, "text/xml", "DEMO-9999: Test with key DEMO-9999 not found"),
        (REPORT, "application/json", "The request body must be text/xml."),
        (b"<testsuite><testcase>", "text/xml", "The file is not well-formed XML"),
        (LAUGHS, "text/xml", REFUSED_DOCTYPE),
    ],
)
def test_xray_cloud_junit_import_refuses_whole(
    sandbox: Sandbox, xray: requests.Session, report: bytes, content_type: str, message: str
) -> None:
    url = f"{sandbox.url}/api/v2/import/execution/junit?projectKey=DEMO"
    answer = xray.post(url, data=report, headers={"Content-Type": content_type})
    assert answer.status_code == 400
    assert message in answer.json()["error"]
    assert sandbox.test_executions() == []


def test_xray_datacenter_junit_import_lists_unknown_tests_inside_the_200(
    sandbox: Sandbox, jira: requests.Session
) -> None:
    answer = dc_import(sandbox, jira, UNKNOWN_KEY, projectKey="DEMO", testEnvironments="qa")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["testExecIssue"]["key"] == "DEMO-461"
    assert [t["key"] for t in body["testIssues"]["success"]] == ["DEMO-6", "DEMO-7", "DEMO-9"]
    assert [e["testKey"] for e in body["testIssues"]["error"]] == ["DEMO-9999"]
    assert statuses(sandbox, "DEMO-461") == {"DEMO-6": "PASS", "DEMO-7": "FAIL", "DEMO-9": "FAIL"}
    assert sandbox.test_executions()[0]["environments"] == ["qa"]


def test_xray_datacenter_junit_import_needs_the_file_part(
    sandbox: Sandbox, jira: requests.Session
) -> None:
    url = f"{sandbox.jira_dc_url}/rest/raven/1.0/import/execution/junit"
    answer = jira.post(url, files={"results": ("r.xml", REPORT)})
    assert answer.status_code == 400
    assert answer.json()["errorMessages"] == ["A multipart part named file is required."]
    laughs = dc_import(sandbox, jira, LAUGHS)
    assert (laughs.status_code, laughs.json()["errorMessages"]) == (400, [REFUSED_DOCTYPE])


def zip_of(name: str, size: int) -> bytes:
    """A zip whose one member is ``size`` zeros, written a megabyte at a time."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open(name, "w", force_zip64=True) as member,
    ):
        for start in range(0, size, 1 << 20):
            member.write(bytes(min(1 << 20, size - start)))
    return buffer.getvalue()


def lying(archive: bytes) -> bytes:
    """``archive`` with its one member's declared size cut to 100 bytes in both headers."""
    info = zipfile.ZipFile(io.BytesIO(archive)).infolist()[0]
    small = (100).to_bytes(4, "little")
    data = bytearray(archive)
    data[info.header_offset + 22 : info.header_offset + 26] = small
    central = archive.rindex(b"PK\x01\x02")
    data[central + 24 : central + 28] = small
    return bytes(data)


BOMB = zip_of("results.json", 200 << 20)
HONEST_BOMB_MESSAGE = "The zip archive inflates to more than 64 MB; refused."


@pytest.mark.parametrize(
    ("file", "message"),
    [
        (BOMB, HONEST_BOMB_MESSAGE),
        (lying(zip_of("results.json", 1 << 20)), "The file is not a valid zip archive."),
        (lying(BOMB), "The file is not a valid zip archive."),
    ],
    ids=["declared", "lying-small", "lying-bomb"],
)
@pytest.mark.parametrize("where", ["cloud-custom", "cloud-junit", "datacenter"])
def test_zip_bombs_are_refused_with_one_line_and_bounded_memory(
    sandbox: Sandbox, file: bytes, message: str, where: str
) -> None:
    assert len(file) < 1 << 20  # 200 MB of zeros, squeezed
    url, token = {
        "cloud-custom": (f"{sandbox.url}/v2/automations/executions/custom", DEMO.zephyr_token),
        "cloud-junit": (f"{sandbox.url}/v2/automations/executions/junit", DEMO.zephyr_token),
        "datacenter": (
            f"{sandbox.jira_dc_url}/rest/atm/1.0/automation/execution/DEMO",
            DEMO.jira_pat,
        ),
    }[where]
    answer, peak = measured(
        lambda: requests.post(
            url,
            params={"projectKey": "DEMO"},
            files={"file": ("r.zip", file)},
            headers={"Authorization": f"Bearer {token}"},
        )
    )
    assert answer.status_code == 400
    text = answer.json().get("message") or answer.json()["errorMessages"][0]
    assert text == message
    assert peak < 40 << 20
    assert sandbox.zephyr_cycles() == sandbox.zephyr_runs() == []


def test_a_billion_laughs_costs_bounded_memory(sandbox: Sandbox, xray: requests.Session) -> None:
    answer, peak = measured(lambda: cloud_import(sandbox, xray, LAUGHS, projectKey="DEMO"))
    assert answer.json() == {"error": REFUSED_DOCTYPE}
    assert peak < 10 << 20


def measured(call: Callable[[], requests.Response]) -> tuple[requests.Response, int]:
    """``call()``'s answer and the peak of memory Python allocated meanwhile, in this
    process, where the stand-in serves too."""
    tracemalloc.start()
    try:
        answer = call()
        return answer, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
