"""``pytest-tm-auth publish xray|zephyr FILE.xml``: a JUnit report of another runner, landed.

The console script as a user runs it, against the stand-in over loopback, its settings in
the environment as a CI job's: one import (Xray) or one upload (Zephyr Scale) per report,
on both deployments; a file that cannot be read is one line, sends nothing and costs
bounded memory whatever its size.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_tm_auth.sandbox import DEMO, Fault, Sandbox
from pytest_tm_auth.sandbox.server import Deployment
from tests.stored import SCRIPT, command, output

DEPLOYMENTS: list[Deployment] = ["cloud", "datacenter"]
#: The most memory the command may use on a hostile file (the interpreter and requests
#: alone take about 40 MB).
MEMORY_BOUND = 150 * 1024 * 1024
XRAY_IMPORTS = {"cloud": "xray.import", "datacenter": "xraydc.import"}
ZEPHYR_UPLOADS = {"cloud": "zephyr.automation", "datacenter": "zephyrdc.automation"}


def another_runner(cases: list[str]) -> str:
    """A report as a runner other than pytest writes it: suites in a suites element."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="other runner">\n'
        f'<testsuite name="suite" tests="{len(cases)}">\n'
        + "\n".join(cases)
        + "\n</testsuite>\n</testsuites>\n"
    )


def case(name: str, *, key: str | None = None, failed: str | None = None, extra: str = "") -> str:
    inner = extra
    if key is not None:
        inner += f'<properties><property name="test_key" value="{key}"/></properties>'
    if failed is not None:
        inner += f'<failure message="{failed}" type="AssertionError">trace</failure>'
    return f'<testcase classname="suite.Checks" name="{name}" time="0.01">{inner}</testcase>'


def publish(
    sandbox: Sandbox, deployment: Deployment, *args: str
) -> subprocess.CompletedProcess[str]:
    return command("publish", *args, env=sandbox.env(deployment))


@pytest.mark.scale
@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_a_5000_case_report_is_one_xray_import_and_every_linked_case_lands(
    sandbox: Sandbox, deployment: Deployment, tmp_path: Path
) -> None:
    cases = [
        case(f"test_{n}", key=f"DEMO-{n % 250 + 1}", failed="no" if n % 97 == 0 else None)
        for n in range(4000)
    ]
    cases += [case(f"test_unlinked_{n}") for n in range(1000)]
    report = tmp_path / "other-runner.xml"
    report.write_text(another_runner(cases), encoding="utf-8")

    done = publish(
        sandbox, deployment, "xray", str(report), "--xray-project", "DEMO",
        "--xray-test-environments", "Chrome, Linux", "--xray-revision", "abc123",
    )  # fmt: skip

    assert done.returncode == 0, output(done)
    (execution,) = sandbox.test_executions()
    key = execution["key"]
    site = sandbox.url + ("/jira" if deployment == "datacenter" else "")
    assert done.stdout.splitlines() == [
        "xray: 1000 of 5000 cases have no test_key property: Xray finds their Tests by class "
        "name and name, or creates Generic Tests for them",
        f"xray: published 5000 cases to {key} ({site}/browse/{key})",
    ]
    assert sandbox.count(XRAY_IMPORTS[deployment]) == 1
    login = "xray.authenticate" if deployment == "cloud" else "jiradc.myself"
    assert [r.route for r in sandbox.requests] == [login, XRAY_IMPORTS[deployment]]
    runs = execution["runs"]
    assert sorted(runs) == sorted(f"DEMO-{n}" for n in range(1, 251))
    failed = {f"DEMO-{n % 250 + 1}" for n in range(0, 4000, 97)}
    fail = "FAILED" if deployment == "cloud" else "FAIL"
    assert {k for k, run in runs.items() if run["status"] == fail} == failed
    assert (execution["environments"], execution["revision"]) == (["Chrome", "Linux"], "abc123")


@pytest.mark.scale
@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_a_5000_case_report_is_one_zephyr_upload_and_every_case_lands(
    sandbox: Sandbox, deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = [
        case(f"test_{n}_DEMO_T{n % 450 + 1}", failed="no" if n % 7 == 0 else None)
        for n in range(4990)
    ]
    cases += [case(f"Demo test case {n}") for n in range(1, 11)]  # found by name
    report = tmp_path / "other-runner.xml"
    report.write_text(another_runner(cases), encoding="utf-8")
    monkeypatch.setenv("ZEPHYR_PROJECT", "DEMO")
    monkeypatch.setenv("ZEPHYR_CYCLE_NAME", "Nightly 42")

    done = publish(sandbox, deployment, "zephyr", str(report))

    assert done.returncode == 0, output(done)
    (cycle,) = sandbox.zephyr_cycles() if deployment == "cloud" else sandbox.zephyr_runs()
    assert cycle["name"] == "Nightly 42"
    site = sandbox.url + ("/jira" if deployment == "datacenter" else "")
    assert done.stdout.splitlines()[-1] == (
        f"zephyr: published 5000 cases to {cycle['key']} "
        f"({site}/projects/DEMO/cycles/{cycle['key']})"
    )
    assert "zephyr: 10 of 5000 cases have no test case key in their name" in done.stdout
    login = "zephyr.projects" if deployment == "cloud" else "zephyrdc.healthcheck"
    assert [r.route for r in sandbox.requests] == [login, ZEPHYR_UPLOADS[deployment]]
    landed = [e for executions in cycle["executions"].values() for e in executions]
    if deployment == "cloud":  # the report itself: one execution per case
        assert len(landed) == 5000
        assert sum(e["status"] == "Fail" for e in landed) == len(range(0, 4990, 7))
        assert len(cycle["executions"]["DEMO-T3"]) == 12 + 1  # 12 by key, 1 by name
    else:  # converted: one execution per key, the worst of its cases, as a run's results
        assert len(landed) == 450 + 10
        failed = {n % 450 + 1 for n in range(0, 4990, 7)}
        assert sum(e["status"] == "Fail" for e in landed) == len(failed)
        assert len(cycle["executions"]["DEMO-T3"]) == 1 + 1  # its key, and 1 by name


def test_a_report_over_10_mb_goes_to_zephyr_cloud_zipped(sandbox: Sandbox, tmp_path: Path) -> None:
    output_text = "<system-out>" + "log line\n" * 1_300_000 + "</system-out>"
    report = tmp_path / "big.xml"
    report.write_text(another_runner([case("test_DEMO_T1", extra=output_text)]), "utf-8")
    assert report.stat().st_size > 10 * 1024 * 1024

    done = publish(sandbox, "cloud", "zephyr", str(report), "--zephyr-project", "DEMO")

    assert done.returncode == 0, output(done)
    (cycle,) = sandbox.zephyr_cycles()
    assert list(cycle["executions"]) == ["DEMO-T1"]  # a file over 10 MB would be a 413
    assert sandbox.count("zephyr.automation", status=200) == 1


def test_data_center_s_200_with_rejected_tests_fails_naming_them(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    report = tmp_path / "report.xml"
    cases = [case("a", key="DEMO-2"), case("b", key="DEMO-9999"), case("c", key="DEMO-300")]
    report.write_text(another_runner(cases), encoding="utf-8")

    done = publish(sandbox, "datacenter", "xray", str(report), "--xray-project", "DEMO")

    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith("pytest-tm-auth: xray: results not published: Xray rejected results in")
    assert "DEMO-9999 (Test with key DEMO-9999 not found)" in line
    assert "DEMO-300 (Test with key DEMO-300 not found)" in line
    assert "published" not in done.stdout


def test_zephyr_refusing_an_unknown_case_is_one_line(sandbox: Sandbox, tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    report.write_text(another_runner([case("test_DEMO_T1"), case("no such case")]), "utf-8")

    done = publish(sandbox, "cloud", "zephyr", str(report), "--zephyr-project", "DEMO")

    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        "pytest-tm-auth: zephyr: results not published: uploading report.xml into a new cycle "
        "in DEMO: Zephyr Scale answered HTTP 400: Test cases not found: no such case at "
        f"{sandbox.url}/v2/automations/executions/junit"
    ]
    assert sandbox.zephyr_cycles() == []


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + "".join(
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") if n > 1 else "&lol;"}'
        f'{("&lol" + str(n - 1) + ";") * 9 if n > 1 else "&lol;" * 9}">\n'
        for n in range(1, 10)
    )
    + ']>\n<testsuite><testcase name="&lol9;"/></testsuite>\n'
)


def _billion_laughs(path: Path) -> str:
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    return "declares a DTD or entities (<!DOCTYPE ...>): refused, a JUnit report needs none"


def _huge(path: Path) -> str:
    """200 MB written in an instant: a sparse file, whose bytes are never read."""
    with path.open("wb") as file:
        file.write(b"<testsuite>")
        file.truncate(200 * 1024 * 1024)
    return "is 200.0 MiB, over the 100 MiB a report may be: refused without reading it"


def _malformed(path: Path) -> str:
    path.write_text(another_runner([case("a")]).replace("</testsuite>", ""), encoding="utf-8")
    return "is not well-formed XML: mismatched tag: line 6, column 2"


def peak_memory(*args: str, env: dict[str, str]) -> tuple[subprocess.CompletedProcess[str], int]:
    """The command's result, and its peak resident memory in bytes (Linux's ``ru_maxrss``,
    measured by a parent of its own, so no earlier child of the tests counts)."""
    measure = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:])\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(peak * 1024, file=sys.stderr)\n"
        "sys.exit(done.returncode)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", measure, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )
    *said, peak = done.stderr.splitlines()
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout, "\n".join(said)
    ), int(peak)


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in kilobytes on Linux")
@pytest.mark.parametrize("make", [_billion_laughs, _huge, _malformed], ids=lambda f: f.__name__[1:])
@pytest.mark.parametrize("service", ["xray", "zephyr"])
def test_a_file_that_cannot_be_read_is_one_line_sends_nothing_and_costs_bounded_memory(
    sandbox: Sandbox, tmp_path: Path, make: object, service: str
) -> None:
    report = tmp_path / "report.xml"
    said = make(report)  # type: ignore[operator]
    env = sandbox.env("cloud") | {"XRAY_PROJECT": "DEMO", "ZEPHYR_PROJECT": "DEMO"}

    done, peak = peak_memory("publish", service, str(report), env=env)

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [f"pytest-tm-auth: the report {report} {said}"]
    assert sandbox.requests == []
    assert peak < MEMORY_BOUND, f"{peak / 2**20:.0f} MiB"


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_a_report_holding_the_command_s_own_secret_is_refused_and_no_output_holds_a_token(
    sandbox: Sandbox, deployment: Deployment, tmp_path: Path
) -> None:
    secret = DEMO.xray_client_secret if deployment == "cloud" else DEMO.jira_pat
    report = tmp_path / "report.xml"
    report.write_text(another_runner([case("a", key="DEMO-2", failed=f"s={secret}")]), "utf-8")

    refused = publish(sandbox, deployment, "xray", str(report), "--xray-project", "DEMO")

    setting = "XRAY_CLIENT_SECRET" if deployment == "cloud" else "JIRA_TOKEN"
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        f"pytest-tm-auth: the report {report} holds the value of {setting}, which this command "
        "logs in with: nothing sent; remove it from the report (and change the secret: it was "
        "written in clear)"
    ]
    assert sandbox.requests == []
    report.write_text(another_runner([f"<!-- {secret} -->", case("a", key="DEMO-2")]), "utf-8")
    in_a_comment = publish(sandbox, deployment, "xray", str(report), "--xray-project", "DEMO")
    assert in_a_comment.returncode == 1
    assert f"holds the value of {setting}" in in_a_comment.stderr
    assert sandbox.requests == []

    # A token of another login (a test printed it) is the user's own text: it goes as is,
    # and what the command says holds no token, neither that one nor its own.
    printed = sandbox.issue_xray_token()
    report.write_text(another_runner([case("a", key="DEMO-2", failed=f"t={printed}")]), "utf-8")
    done = publish(sandbox, deployment, "xray", str(report), "--xray-project", "DEMO")

    assert done.returncode == 0, output(done)
    (execution,) = sandbox.test_executions()
    assert execution["runs"]["DEMO-2"]["comment"] == f"t={printed}"
    for text in (output(done), output(refused)):
        assert secret not in text
        assert "eyJ" not in text  # no JWT: neither the printed one nor the command's own


@pytest.mark.parametrize("service", ["xray", "zephyr"])
def test_a_secret_escaped_between_elements_or_in_utf16_is_refused_and_nothing_is_sent(
    sandbox: Sandbox, tmp_path: Path, service: str
) -> None:
    secret = DEMO.xray_client_secret if service == "xray" else DEMO.zephyr_token
    setting = "XRAY_CLIENT_SECRET" if service == "xray" else "ZEPHYR_TOKEN"
    references = "".join(f"&#{ord(c)};" for c in secret)  # the bytes do not hold it
    between = another_runner([case("test_DEMO_T1", key="DEMO-2") + f"s={references}"])
    utf16 = another_runner([f"<!-- {secret} -->", case("test_DEMO_T1", key="DEMO-2")])
    forms = {
        between.encode("utf-8"): f"holds the value of {setting}, which this command logs in",
        utf16.replace("UTF-8", "UTF-16").encode("utf-16"): "is not UTF-8 text",
    }
    report = tmp_path / "report.xml"
    env = sandbox.env("cloud") | {"XRAY_PROJECT": "DEMO", "ZEPHYR_PROJECT": "DEMO"}
    for data, said in forms.items():
        report.write_bytes(data)

        refused = command("publish", service, str(report), env=env)

        assert refused.returncode == 1
        (line,) = refused.stderr.splitlines()
        assert line.startswith(f"pytest-tm-auth: the report {report} {said}")
        assert secret not in output(refused)
        assert sandbox.requests == []


@pytest.mark.parametrize("form", ["basic auth", "json escapes"])
@pytest.mark.parametrize("service", ["xray", "zephyr"])
def test_a_secret_in_basic_auth_or_escaped_in_a_report_is_refused_and_nothing_is_sent(
    sandbox: Sandbox, tmp_path: Path, service: str, form: str
) -> None:
    """Data Center's Jira token, as a test's log prints it: in a Basic header, or escaped."""
    secret = DEMO.jira_pat
    basic = base64.b64encode(f"admin:{secret}".encode()).decode()
    shown = {
        "basic auth": f"Authorization: Basic {basic}",
        "json escapes": "".join(f"\\u{ord(c):04x}" for c in secret),
    }[form]
    report = tmp_path / "report.xml"
    out = f"<system-out>{shown}</system-out>"
    report.write_text(another_runner([case("test_DEMO_T1", key="DEMO-2", extra=out)]), "utf-8")

    refused = publish(sandbox, "datacenter", service, str(report), f"--{service}-project", "DEMO")

    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        f"pytest-tm-auth: the report {report} holds the value of JIRA_TOKEN, which this "
        "command logs in with: nothing sent; remove it from the report (and change the "
        "secret: it was written in clear)"
    ]
    assert sandbox.requests == []


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_cases_sharing_a_key_are_said_and_data_center_gets_one_execution_per_key(
    sandbox: Sandbox, deployment: Deployment, tmp_path: Path
) -> None:
    """A name twice (passed, then failed), a parametrized test, and pytest's xfail: Data
    Center's conversion says of them what a run's results say; Cloud reads the report."""
    report = tmp_path / "report.xml"
    xfail = '<skipped type="pytest.xfail" message="known bug"/>'
    cases = [
        case("test_total[DEMO_T5-1]"),
        case("test_total[DEMO_T5-2]"),
        case("test_login_DEMO_T6"),
        case("test_login_DEMO_T6", failed="boom"),
        case("test_known_DEMO_T7", extra=xfail),
    ]
    report.write_text(another_runner(cases), "utf-8")

    done = publish(sandbox, deployment, "zephyr", str(report), "--zephyr-project", "DEMO")

    assert done.returncode == 0, output(done)
    assert "zephyr: 4 cases share a test case key with another case" in done.stdout
    (cycle,) = sandbox.zephyr_cycles() if deployment == "cloud" else sandbox.zephyr_runs()
    landed = {key: [e["status"] for e in found] for key, found in cycle["executions"].items()}
    if deployment == "datacenter":
        assert landed == {"DEMO-T5": ["Pass"], "DEMO-T6": ["Fail"], "DEMO-T7": ["Fail"]}
    else:
        assert landed == {
            "DEMO-T5": ["Pass", "Pass"],
            "DEMO-T6": ["Pass", "Fail"],
            "DEMO-T7": ["Not Executed"],
        }
    assert sandbox.count(ZEPHYR_UPLOADS[deployment]) == 1


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_a_zephyr_key_in_a_name_keeps_its_whole_project_key(
    sandbox: Sandbox, deployment: Deployment, tmp_path: Path
) -> None:
    """The command and the stand-in read ``MY_APP_T19`` alike: as ``MY_APP-T19``."""
    report = tmp_path / "report.xml"
    report.write_text(another_runner([case("test_login_MY_APP_T19")]), "utf-8")

    done = publish(sandbox, deployment, "zephyr", str(report), "--zephyr-project", "DEMO")

    assert done.returncode == 1
    assert "Test cases not found: MY_APP-T19 at" in done.stderr
    assert "no test case key" not in done.stdout


def test_what_xray_answers_is_said_scrubbed_of_the_command_s_secrets(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    report = tmp_path / "report.xml"
    report.write_text(another_runner([case("a", key="DEMO-2")]), "utf-8")
    echo = json.dumps({"error": f"client {DEMO.xray_client_secret} is not allowed here"})
    sandbox.add_faults(Fault(400, body=echo, content_type="application/json"), route="xray.import")

    done = publish(sandbox, "cloud", "xray", str(report), "--xray-project", "DEMO")

    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert "Xray answered HTTP 400: client *** is not allowed here" in line
    assert DEMO.xray_client_secret not in output(done)


@pytest.mark.parametrize("deployment", DEPLOYMENTS)
def test_a_lost_answer_is_an_outcome_unknown_never_a_success(
    sandbox: Sandbox, deployment: Deployment, tmp_path: Path
) -> None:
    report = tmp_path / "report.xml"
    report.write_text(another_runner([case("a_DEMO_T1", key="DEMO-2")]), "utf-8")
    sandbox.add_faults(Fault(drop_after=True), route=XRAY_IMPORTS[deployment])
    sandbox.add_faults(Fault(drop_after=True), route=ZEPHYR_UPLOADS[deployment])

    xray = publish(sandbox, deployment, "xray", str(report), "--xray-project", "DEMO")
    zephyr = publish(sandbox, deployment, "zephyr", str(report), "--zephyr-project", "DEMO")

    for done, title in ((xray, "Xray"), (zephyr, "Zephyr Scale")):
        assert done.returncode == 1
        assert done.stdout == ""
        (line,) = done.stderr.splitlines()
        assert line.endswith(
            f"the outcome is unknown; look in {title} before publishing the report again"
        ), line
    # It did land, once each: the command sent one request, and never claimed it.
    assert sandbox.count(XRAY_IMPORTS[deployment]) == 1
    assert len(sandbox.test_executions()) == 1
    assert sandbox.count(ZEPHYR_UPLOADS[deployment]) == 1


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["xray"], "publish xray needs a JUnit XML report: pytest-tm-auth publish xray FILE.xml"),
        (["xray", "r.xml"], "no Test Execution for the report: set --xray-project"),
        (["zephyr", "r.xml"], "no project for the new cycle: set --zephyr-project"),
        (
            ["zephyr", "r.xml", "--zephyr-project", "DEMO/../x"],
            "--zephyr-project from the command line: 'DEMO/../x' is not a Jira project key",
        ),
        (["xray", "r.xml", "--zephyr-project", "D"], "--zephyr-project: not for publish xray"),
        (["zephyr", "r.xml", "--xray-statuses", "x=y"], "--xray-statuses: not for publish zephyr"),
        (["journal.jsonl", "--zephyr-project", "D"], "--zephyr-project: only for a report"),
        (["journal.jsonl", "r.xml"], "publish takes JOURNAL, or xray or zephyr followed by"),
    ],
)
def test_usage_errors_are_one_line_and_send_nothing(
    sandbox: Sandbox, args: list[str], said: str
) -> None:
    done = publish(sandbox, "cloud", *args)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert said in line
    assert sandbox.requests == []


def test_the_help_tells_both_forms() -> None:
    done = command("publish", "--help", env={"COLUMNS": "200"})
    assert done.returncode == 0
    assert "JOURNAL | xray FILE.xml | zephyr FILE.xml" in done.stdout
    for option in ("--xray-test-execution", "--zephyr-project", "--zephyr-cycle-name"):
        assert option in done.stdout


def test_a_dry_run_reads_the_report_and_sends_nothing(sandbox: Sandbox, tmp_path: Path) -> None:
    report = tmp_path / "report.xml"
    report.write_text(another_runner([case("a", key="DEMO-2"), case("b")]), "utf-8")
    done = publish(
        sandbox, "cloud", "xray", str(report), "--xray-project", "DEMO", "--tm-auth-dry-run"
    )
    assert done.returncode == 0, output(done)
    assert done.stdout.splitlines()[-1] == f"xray: dry run: {report} holds 2 cases: nothing sent"
    assert sandbox.requests == []
