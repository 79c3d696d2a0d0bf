"""Tests that did not finish, through pytest itself against the stand-in: a test whose xdist
worker died, in its setup or mid-test, is an error (by the links its worker posted before
the tests ran; without the broker, said lost for each service, never published as if it
had not run); a run interrupted (Ctrl-C) sends nothing, keeps its journal of every finished
test, and names the command that lands it.
"""

from __future__ import annotations

import pytest

from pytest_tm_auth.cli.main import main
from pytest_tm_auth.results.journal import read_journal
from pytest_tm_auth.sandbox import Sandbox
from tests.test_results_zephyr import LEAN, lean_runs

__all__ = ["lean_runs"]

BOTH = ("--xray-publish", "--xray-project=DEMO", "--zephyr-publish", "--zephyr-project=DEMO")
LOST = (
    "test_crash.py::test_{}dies_in_setup: its worker crashed before the test reported: its "
    "result, if it is linked, is not in the journal and was not published"
)

CRASHES = """
import os

import pytest

@pytest.fixture
def segfaulting_driver():
    os._exit(11)

@pytest.mark.xray("DEMO-1")
@pytest.mark.zephyr("DEMO-T5")
def test_dies_in_setup(segfaulting_driver):
    pass

def test_unlinked_dies_in_setup(segfaulting_driver):
    pass

@pytest.mark.xray("DEMO-3")
@pytest.mark.zephyr("DEMO-T7")
def test_dies_in_call():
    os._exit(3)

@pytest.mark.xray("DEMO-2")
@pytest.mark.zephyr("DEMO-T6")
@pytest.mark.parametrize("n", range(4))
def test_many(n):
    pass
"""


def outcomes(pytester: pytest.Pytester) -> dict[str, str]:
    state = read_journal(pytester.path / "j.jsonl")
    return {result.nodeid.split("::")[-1]: result.outcome for result in state.results}


def test_a_worker_that_dies_in_setup_leaves_an_error_by_the_links_it_posted(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    """Each worker posts its tests' links to the controller before they run (the broker):
    a test it did not name is not linked, and is not said lost."""
    pytester.makepyfile(test_crash=CRASHES)
    result = pytester.runpytest_subprocess(*LEAN, "-n", "2", *BOTH, "--tm-auth-journal=j.jsonl")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["xray: published 3 results to *", "zephyr: published 3 results *"])
    assert "crashed before the test reported" not in result.stdout.str()
    assert "3 failed, 4 passed" in result.stdout.lines[-1]
    assert outcomes(pytester) == {
        "test_dies_in_setup": "error",
        "test_dies_in_call": "error",
        **{f"test_many[{n}]": "passed" for n in range(4)},
    }
    (execution,) = cloud_env.test_executions()
    statuses = {key: run["status"] for key, run in execution["runs"].items()}
    assert statuses == {"DEMO-1": "FAILED", "DEMO-2": "PASSED", "DEMO-3": "FAILED"}
    assert execution["runs"]["DEMO-1"]["comment"] == (
        "setup error: the test did not finish (its worker crashed)"
    )
    (cycle,) = cloud_env.zephyr_cycles()
    assert sorted(cycle["executions"]) == ["DEMO-T5", "DEMO-T6", "DEMO-T7"]


def test_without_the_broker_a_worker_that_dies_in_setup_is_said_lost_for_each_service(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    """No broker (``-p no:tm_auth_xdist``): the controller cannot know the test's links."""
    pytester.makepyfile(test_crash=CRASHES)
    args = ("-n", "2", "-p", "no:tm_auth_xdist", *BOTH, "--tm-auth-journal=j.jsonl")
    result = pytester.runpytest_subprocess(*LEAN, *args)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    for service in ("xray", "zephyr"):
        result.stdout.fnmatch_lines([f"{service}: published 2 results to *"])
        for name in ("", "unlinked_"):  # it cannot be told linked or not: said all the same
            result.stdout.fnmatch_lines([f"{service}: {LOST.format(name)}"])
    # Only the tests that never reported are said lost: one whose setup reported is an error.
    assert result.stdout.str().count("crashed before the test reported") == 4
    assert outcomes(pytester) == {
        "test_dies_in_call": "error",
        **{f"test_many[{n}]": "passed" for n in range(4)},
    }
    (execution,) = cloud_env.test_executions()
    assert sorted(execution["runs"]) == ["DEMO-2", "DEMO-3"]
    (cycle,) = cloud_env.zephyr_cycles()
    assert sorted(cycle["executions"]) == ["DEMO-T6", "DEMO-T7"]


INTERRUPTED = """
import os
import signal

import pytest

@pytest.mark.xray("DEMO-1")
@pytest.mark.zephyr("DEMO-T5")
def test_first():
    pass

@pytest.mark.xray("DEMO-2")
@pytest.mark.zephyr("DEMO-T6")
def test_ctrl_c():
    # As a terminal's Ctrl-C: a process started by an xdist worker inherits SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.kill(os.getpid(), signal.SIGINT)

@pytest.mark.xray("DEMO-3")
@pytest.mark.zephyr("DEMO-T7")
def test_never_run():
    pass
"""


def test_an_interrupted_run_sends_nothing_and_keeps_its_journal_for_a_replay(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile(test_int=INTERRUPTED)
    result = pytester.runpytest_subprocess(*LEAN, *BOTH, "--tm-auth-journal=j.jsonl")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    journal = pytester.path / "j.jsonl"
    for service in ("xray", "zephyr"):
        result.stdout.fnmatch_lines(
            [
                f"{service}: results not published: the run was interrupted: nothing was sent; "
                "journal kept: j.jsonl; to publish it: pytest-tm-auth publish j.jsonl",
                f"{service}: test_int.py::test_ctrl_c: interrupted before it finished: not in "
                "the journal",
            ]
        )
    assert "worker crashed" not in result.stdout.str()
    assert outcomes(pytester) == {"test_first": "passed"}
    assert read_journal(journal).progress("xray").last_step is None  # nothing was tried
    assert cloud_env.count("xray.import") == cloud_env.count("zephyr.automation") == 0
    assert cloud_env.test_executions() == cloud_env.zephyr_cycles() == []

    assert main(["publish", str(journal)]) == 0  # asked: what finished lands
    (execution,) = cloud_env.test_executions()
    assert {key: run["status"] for key, run in execution["runs"].items()} == {"DEMO-1": "PASSED"}
    (cycle,) = cloud_env.zephyr_cycles()
    assert sorted(cycle["executions"]) == ["DEMO-T5"]
