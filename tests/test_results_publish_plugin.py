"""The publishing plugin object in a real pytest run against the stand-in: it publishes once,
in the controller only, through the run's own login; its summary line and the exit status
say how it went. A small collector of the test's own stands in for the run's, so these
runs hold whatever the collecting does."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_tm_auth.cli.main import main
from pytest_tm_auth.results.journal import Journal, read_journal
from pytest_tm_auth.results.model import Result
from pytest_tm_auth.sandbox import Sandbox
from pytest_tm_auth.sandbox.faults import Fault

CONFTEST = """
import json
import os
from pathlib import Path

from pytest_tm_auth.plugin import STARTUP
from pytest_tm_auth.results.journal import Journal
from pytest_tm_auth.results.model import Result
from pytest_tm_auth.results.publish import PublishPlugin


class Collector:
    services = ("xray",)
    dry_run = False
    unjournaled = ()

    def __init__(self, journal_path):
        self.journal_path = journal_path
        self.closed = 0

    def written(self):
        return None  # a journal this run did not write: read back from its file

    def close(self):
        self.closed += 1


def pytest_configure(config):
    path = Path(os.environ["DEMO_JOURNAL"])
    collector = Collector(path)
    config.pluginmanager.register(collector, "tm_auth_results")
    setup = lambda: config.stash[STARTUP].setup()
    # Registered in workers too: publishing itself must stay in the controller.
    config.pluginmanager.register(PublishPlugin(config, collector, setup), "tm_auth_publish")
    if hasattr(config, "workerinput"):
        return
    header = {
        "run": "0a1b2c3d4e5f", "started": 1796000000.0, "label": "tm-auth-0a1b2c3d4e5f",
        "host": "build-7", "rootdir": str(config.rootpath),
        "services": {"xray": json.loads(os.environ["DEMO_XRAY"])},
    }
    journal = Journal.create(path, header)
    for key in os.environ["DEMO_KEYS"].split(","):
        journal.add_result(
            Result(f"t.py::{key}", f"t.py::{key}", {"xray": (key,)}, "passed", 1.0, 2.0)
        )
    journal.close()


def pytest_tm_auth_results(provider, results):
    results["info"]["description"] = "nightly " + os.environ.get("XRAY_CLIENT_SECRET", "")


def pytest_tm_auth_published(provider, target):
    print(f"landed-hook {target.key} {target.count}")
"""

TESTS = "def test_a():\n    pass\n\ndef test_b():\n    pass\n"


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_plain=TESTS)
    monkeypatch.setenv("DEMO_JOURNAL", str(pytester.path / "journal.jsonl"))
    monkeypatch.setenv("DEMO_XRAY", '{"project": "DEMO", "test_execution": "DEMO-300"}')
    monkeypatch.setenv("DEMO_KEYS", "DEMO-1,DEMO-2")
    return pytester


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one-process", "two-workers"])
def test_the_run_publishes_once_in_the_controller_with_one_login(
    project: pytest.Pytester, cloud_env: Sandbox, workers: list[str]
) -> None:
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "-s", *workers)

    assert result.ret == 0
    assert cloud_env.count("xray.import") == 1
    assert cloud_env.count("xray.authenticate") == 1
    result.stdout.fnmatch_lines(
        [
            "*landed-hook DEMO-300 2",
            "xray: published 2 results to DEMO-300 (http://*/browse/DEMO-300) in * s",
        ]
    )
    progress = read_journal(project.path / "journal.jsonl").progress("xray")
    assert progress.landed is not None
    assert progress.landed["key"] == "DEMO-300"
    (execution,) = cloud_env.test_executions()
    assert {key: run["status"] for key, run in execution["runs"].items()} == {
        "DEMO-1": "PASSED",
        "DEMO-2": "PASSED",
    }


def test_results_that_did_not_land_fail_the_run_and_name_the_replay(
    project: pytest.Pytester, cloud_env: Sandbox
) -> None:
    cloud_env.add_faults(
        Fault(400, body='{"error": "Status PASS is not valid"}'), route="xray.import"
    )

    result = project.runpytest_subprocess("-p", "no:cacheprovider")

    assert result.ret == 1
    journal = project.path / "journal.jsonl"
    result.stdout.fnmatch_lines(
        [
            "xray: results not published: importing the results into DEMO-300: Xray answered "
            f"HTTP 400: Status PASS is not valid at *; journal kept: {journal}; "
            f"to publish it: pytest-tm-auth publish {journal}"
        ]
    )
    assert read_journal(journal).progress("xray").failures


def test_a_login_that_fails_is_the_reason_in_one_line(
    project: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XRAY_CLIENT_SECRET", "demo-wrong-secret-not-real")

    result = project.runpytest_subprocess("-p", "no:cacheprovider")

    assert result.ret == 1
    assert cloud_env.count("xray.import") == 0
    result.stdout.fnmatch_lines(["xray: results not published: Xray login failed at *"])
    assert "demo-wrong-secret-not-real" not in result.stdout.str()


def journal_into(path: Path, execution: str) -> Path:
    header = {
        "run": "0a1b2c3d4e5f",
        "started": 1_796_000_000.0,
        "label": "tm-auth-0a1b2c3d4e5f",
        "host": "build-7",
        "rootdir": str(path.parent),
        "services": {"xray": {"project": "DEMO", "test_execution": execution}},
    }
    journal = Journal.create(path, header)
    journal.add_result(Result("t.py::a", "t.py::a", {"xray": ("DEMO-1",)}, "failed", 1.0, 2.0))
    journal.close()
    return path


def test_the_command_lands_a_journal_once_however_often_it_runs(
    cloud_env: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = journal_into(tmp_path / "journal.jsonl", "DEMO-300")

    assert main(["publish", str(journal)]) == 0
    assert main(["publish", str(journal)]) == 0

    said = capsys.readouterr().out.splitlines()
    assert said[0].startswith("xray: published 1 result to DEMO-300 (")
    assert said[1].startswith("xray: already published to DEMO-300 (")
    assert cloud_env.count("xray.import") == 1
    assert cloud_env.count("xray.authenticate") == 1


def test_the_command_dry_run_logs_in_to_nothing(
    cloud_env: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = journal_into(tmp_path / "journal.jsonl", "DEMO-300")

    assert main(["publish", str(journal), "--tm-auth-dry-run"]) == 0

    assert capsys.readouterr().out == (
        "xray: dry run: 1 result for DEMO-300 built and checked; nothing sent\n"
    )
    assert cloud_env.count() == 0


def test_the_command_without_credentials_fails_in_one_line_and_keeps_the_journal(
    sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = journal_into(tmp_path / "journal.jsonl", "DEMO-300")

    assert main(["publish", str(journal)]) == 1

    said = capsys.readouterr().err
    assert said.startswith("pytest-tm-auth: xray: results not published: ")
    assert f"pytest-tm-auth publish {journal}" in said
    assert read_journal(journal).progress("xray").failures


def new_execution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEMO_XRAY", '{"project": "DEMO"}')


def test_a_new_execution_is_created_once_labelled_with_the_run(
    project: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_execution(monkeypatch)

    result = project.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")

    assert result.ret == 0
    (execution,) = cloud_env.test_executions()
    assert execution["created"]
    assert execution["labels"] == ["tm-auth-0a1b2c3d4e5f"]
    assert execution["summary"].startswith("pytest run tm-auth-0a1b2c3d4e5f on build-7, ")
    assert sorted(execution["runs"]) == ["DEMO-1", "DEMO-2"]
    assert cloud_env.count("xray.graphql") == 2  # the search by label, the creation
    assert cloud_env.count("xray.import") == 1
    result.stdout.fnmatch_lines([f"xray: published 2 results to {execution['key']} (*) in * s"])


def test_a_lost_import_answer_is_unknown_and_the_command_lands_it_once(
    project: pytest.Pytester,
    cloud_env: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    new_execution(monkeypatch)
    cloud_env.add_faults(Fault(drop_after=True), route="xray.import")
    journal = project.path / "journal.jsonl"

    result = project.runpytest_subprocess("-p", "no:cacheprovider")

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "xray: outcome unknown: importing the results into DEMO-*: * the outcome is "
            f"unknown; journal kept: {journal}; to publish it: pytest-tm-auth publish {journal}"
        ]
    )
    capsys.readouterr()
    assert main(["publish", str(journal)]) == 0
    assert main(["publish", str(journal)]) == 0
    said = capsys.readouterr().out.splitlines()
    (execution,) = cloud_env.test_executions()
    key = execution["key"]
    assert said[0].startswith(f"xray: published 2 results to {key} (")
    assert said[1].startswith(f"xray: already published to {key} (")
    assert sorted(execution["runs"]) == ["DEMO-1", "DEMO-2"]
    assert cloud_env.count("xray.graphql") == 2  # a search, then one creation in all
    assert cloud_env.count("xray.import") == 2  # the lost one, and the command's


def test_a_lost_creation_answer_is_found_by_its_label_by_the_command(
    project: pytest.Pytester,
    cloud_env: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    new_execution(monkeypatch)
    # The search by label is answered, the creation's answer is lost.
    cloud_env.add_faults(Fault(passthrough=True), Fault(drop_after=True), route="xray.graphql")
    journal = project.path / "journal.jsonl"

    result = project.runpytest_subprocess("-p", "no:cacheprovider")

    assert result.ret == 1
    result.stdout.fnmatch_lines(["xray: outcome unknown: creating the Test Execution: *"])
    assert cloud_env.count("xray.import") == 0
    assert main(["publish", str(journal)]) == 0
    (execution,) = cloud_env.test_executions()
    assert sorted(execution["runs"]) == ["DEMO-1", "DEMO-2"]
    assert cloud_env.count("xray.graphql") == 3  # a search, the creation, a search


def test_datacenter_200_with_two_rejected_keys_fails_the_run_naming_both(
    project: pytest.Pytester, datacenter_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_execution(monkeypatch)
    monkeypatch.setenv("DEMO_KEYS", "DEMO-1,DEMO-300,DEMO-9999")

    result = project.runpytest_subprocess("-p", "no:cacheprovider")

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "xray: results not published: "
            "Xray rejected results in DEMO-*: DEMO-300 (*), DEMO-9999 (*)*"
        ]
    )
    (execution,) = datacenter_env.test_executions()
    assert sorted(execution["runs"]) == ["DEMO-1"]


def test_what_the_hook_adds_is_scrubbed_before_it_is_sent(
    project: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEMO_XRAY", '{"project": "DEMO", "test_execution": "DEMO-300"}')
    project.makeconftest(
        CONFTEST.replace(
            'results["info"]["description"] = "nightly " + os.environ.get('
            '"XRAY_CLIENT_SECRET", "")',
            'results["tests"][0]["comment"] = "leak " + os.environ["XRAY_CLIENT_SECRET"]',
        )
    )

    result = project.runpytest_subprocess("-p", "no:cacheprovider")

    assert result.ret == 0
    (execution,) = cloud_env.test_executions()
    assert execution["runs"]["DEMO-1"]["comment"] == "leak ***"
