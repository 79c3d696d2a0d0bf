"""What a team's hooks and the run's warning filters make of publishing's outcome, through
pytest against the stand-in: results that landed are said landed even where ``-W error``
makes the warnings errors (then the exit status is 1, never a traceback), and results a
``pytest_tm_auth_results`` hook removed are said, and stay unsent."""

from __future__ import annotations

import pytest

from pytest_tm_auth.cli.main import main
from pytest_tm_auth.sandbox import Sandbox
from pytest_tm_auth.sandbox.faults import Fault

TWO = """
import pytest

@pytest.mark.xray("DEMO-1")
@pytest.mark.zephyr("DEMO-T5")
def test_a():
    pass

@pytest.mark.xray("DEMO-2")
@pytest.mark.zephyr("DEMO-T6")
def test_b():
    pass
"""
BOTH = ("--xray-publish", "--xray-project=DEMO", "--zephyr-publish", "--zephyr-project=DEMO")
RAISING = """
import os

def pytest_tm_auth_published(provider, target):
    raise RuntimeError("token=" + os.environ["XRAY_CLIENT_SECRET"])
"""
DROPPING = """
def pytest_tm_auth_results(provider, results):
    if provider.name == "zephyr":
        results["executions"] = [e for e in results["executions"] if e["testCaseKey"] != "DEMO-T6"]
    else:
        results["tests"] = [t for t in results["tests"] if t["testKey"] != "DEMO-2"]
"""


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *BOTH, *args)


def clean(result: pytest.RunResult, secret: str) -> None:
    """Nothing of a traceback, and no secret, in what the run printed."""
    said = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in said
    assert "INTERNALERROR" not in said
    assert secret not in said


@pytest.mark.parametrize("errors", ["option", "ini"])
def test_with_warnings_as_errors_a_raising_published_hook_leaves_the_results_landed(
    pytester: pytest.Pytester, cloud_env: Sandbox, errors: str
) -> None:
    secret = cloud_env.env("cloud")["XRAY_CLIENT_SECRET"]
    pytester.makeconftest(RAISING)
    pytester.makepyfile(test_two=TWO)
    if errors == "ini":
        pytester.makeini("[pytest]\nfilterwarnings =\n    error\n")
    journal = pytester.path / "journal.jsonl"

    werror = ("-W", "error") if errors == "option" else ()
    result = run(pytester, *werror, f"--tm-auth-journal={journal}")

    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the warning, an error: exit status 1
    hook = "the pytest_tm_auth_published hook raised RuntimeError: token=***"
    result.stdout.fnmatch_lines(
        [
            "xray: published 2 results to DEMO-*",
            f"xray: the results landed, then {hook}; -W error made this "
            "PublishedHookWarning an error: exit status 1",
            "zephyr: published 2 results to DEMO-R*",
            f"zephyr: the results landed, then {hook}; *",
        ]
    )
    clean(result, secret)
    steps = journal.read_text()
    assert steps.count('"kind":"landed"') == 2
    assert '"kind":"failed"' not in steps
    assert (cloud_env.count("xray.import"), cloud_env.count("zephyr.automation")) == (1, 1)


def test_warn_mode_with_warnings_as_errors_is_exit_status_1_never_a_traceback(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    secret = cloud_env.env("cloud")["XRAY_CLIENT_SECRET"]
    pytester.makepyfile(test_two=TWO)
    cloud_env.add_faults(Fault(status=400, body='{"error":"no"}'), route="xray.import")

    journal = f"--tm-auth-journal={pytester.path / 'journal.jsonl'}"
    result = run(pytester, "-W", "error", "--tm-auth-on-publish-failure=warn", journal)

    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*- tm-auth results -*",
            "xray: results not published: *HTTP 400*",
            "xray: -W error made this PublishFailureWarning an error: exit status 1",
            "zephyr: published 2 results to DEMO-R*",
            "*= 2 passed in *",  # the rest of the run's summary is written
        ]
    )
    clean(result, secret)


def test_results_a_hook_removed_are_said_and_a_replay_does_not_send_them(
    pytester: pytest.Pytester, cloud_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makeconftest(DROPPING)
    pytester.makepyfile(test_two=TWO)
    journal = pytester.path / "journal.jsonl"

    result = run(pytester, f"--tm-auth-journal={journal}")

    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "xray: published 1 result to DEMO-*",
            "xray: 1 result removed by the pytest_tm_auth_results hook was not sent",
            "zephyr: published 1 result to DEMO-R*",
            "zephyr: 1 result removed by the pytest_tm_auth_results hook was not sent",
        ]
    )
    capsys.readouterr()
    assert main(["publish", str(journal)]) == 0
    assert "already published" in capsys.readouterr().out
    (execution,) = cloud_env.test_executions()
    assert sorted(execution["runs"]) == ["DEMO-1"]
    (cycle,) = cloud_env.zephyr_cycles()
    assert sorted(cycle["executions"]) == ["DEMO-T5"]
    assert (cloud_env.count("xray.import"), cloud_env.count("zephyr.automation")) == (1, 1)
