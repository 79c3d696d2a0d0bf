"""One holder of a journal at a time, across processes, through pytest and the command
against the stand-in: a second ``publish`` while one publishes, or a ``publish`` while the
run still writes, says the journal is in use and sends nothing; two runs given the same
``--tm-auth-journal`` stop the second at its start."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_tm_auth.cli.main import main
from pytest_tm_auth.sandbox import Sandbox
from pytest_tm_auth.sandbox.faults import Fault

#: The command, as a user runs it: a process of its own.
COMMAND = str(Path(sys.executable).with_name("pytest-tm-auth"))
LINKED = "import pytest\n\n@pytest.mark.xray('DEMO-2')\ndef test_a():\n    pass\n"


def publishing_run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--xray-publish", "--xray-project=DEMO", *args
    )


def test_two_publish_commands_at_once_one_publishes_the_other_says_in_use(
    pytester: pytest.Pytester, cloud_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(test_one=LINKED)
    journal = pytester.path / "journal.jsonl"
    cloud_env.add_faults(Fault(500), route="xray.import")
    assert publishing_run(pytester, f"--tm-auth-journal={journal}").ret == 1
    # The first command's import is answered late: the second comes while it holds the journal.
    cloud_env.add_faults(Fault(delay=5, passthrough=True), route="xray.import")
    logins = cloud_env.count("xray.authenticate")
    first = subprocess.Popen([COMMAND, "publish", str(journal)], stdout=subprocess.PIPE, text=True)
    for _ in range(600):  # until the first command logged in: it holds the journal by then
        if cloud_env.count("xray.authenticate") > logins or first.poll() is not None:
            break
        time.sleep(0.05)
    capsys.readouterr()
    assert main(["publish", str(journal)]) == 1
    said = capsys.readouterr().err
    out, _ = first.communicate(timeout=120)
    assert first.returncode == 0, out
    assert out.startswith("xray: published 1 result to DEMO-")
    assert said == (f"pytest-tm-auth: the journal {journal} is in use by another run or command\n")
    assert cloud_env.count("xray.graphql") == 2  # the search and one creation in all
    assert cloud_env.count("xray.import", status=200) == 1


#: A linked test that runs the command, in a process of its own, while its run goes on.
PUBLISH_MID_RUN = f"""
import os
import subprocess

import pytest

@pytest.mark.xray("DEMO-2")
def test_publish_while_running():
    done = subprocess.run(
        [{COMMAND!r}, "publish", os.environ["DEMO_JOURNAL"]], capture_output=True, text=True
    )
    with open("mid-run.txt", "w") as out:
        out.write(f"{{done.returncode}} {{done.stderr}}")
"""


def test_publish_while_the_run_goes_on_says_in_use(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_mid=PUBLISH_MID_RUN)
    journal = pytester.path / "journal.jsonl"
    monkeypatch.setenv("DEMO_JOURNAL", str(journal))

    result = publishing_run(pytester, f"--tm-auth-journal={journal}")

    result.assert_outcomes(passed=1)
    said = (pytester.path / "mid-run.txt").read_text()
    assert said == f"1 pytest-tm-auth: the journal {journal} is in use by another run or command\n"
    result.stdout.fnmatch_lines(["xray: published 1 result to DEMO-*"])
    assert cloud_env.count("xray.import") == 1


#: A linked test that starts a second run given the same journal.
SECOND_RUN = """
import os
import subprocess
import sys

import pytest

@pytest.mark.xray("DEMO-2")
def test_second_run_shares_the_journal():
    os.mkdir("other")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--xray-publish",
         "--xray-project=DEMO", "--tm-auth-journal=" + os.environ["DEMO_JOURNAL"], "other"],
        capture_output=True, text=True,
    )
    with open("second-run.txt", "w") as out:
        out.write(f"{done.returncode} {done.stderr}")
"""


def test_two_runs_given_the_same_journal_stop_the_second_at_its_start(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_second=SECOND_RUN)
    journal = pytester.path / "journal.jsonl"
    monkeypatch.setenv("DEMO_JOURNAL", str(journal))

    result = publishing_run(pytester, f"--tm-auth-journal={journal}")

    result.assert_outcomes(passed=1)
    code, _, said = (pytester.path / "second-run.txt").read_text().partition(" ")
    assert int(code) == pytest.ExitCode.USAGE_ERROR
    assert f"the journal {journal} exists already" in said
    result.stdout.fnmatch_lines(["xray: published 1 result to DEMO-*"])
