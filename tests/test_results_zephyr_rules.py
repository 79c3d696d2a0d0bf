"""Zephyr Scale publishing's rules through pytest: the marker and its keys, the settings
checked at start, a dry run, and evidence (attached once on Data Center, said on Cloud)."""

from __future__ import annotations

import pytest

from pytest_tm_auth.cli.main import main
from pytest_tm_auth.sandbox import Sandbox
from pytest_tm_auth.sandbox.faults import Fault
from tests.test_results_zephyr import LEAN, zephyr_run

EVIDENCE = """
import pytest

@pytest.mark.zephyr("DEMO-T8")
def test_a(tm_result):
    tm_result.attach("one.txt", "first")
    tm_result.attach("two.txt", "second")

@pytest.mark.zephyr("DEMO-T9")
def test_b(tm_result):
    tm_result.attach("three.txt", "third")
"""


@pytest.fixture(autouse=True)
def lean_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def test_the_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(*LEAN, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.zephyr(*keys): link the test's result to *"])


def test_a_malformed_key_is_a_collection_error_naming_test_and_key(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        "import pytest\n\n@pytest.mark.zephyr('DEMO-12')\ndef test_x():\n    pass\n"
    )

    result = zephyr_run(pytester, "--tm-auth-dry-run")

    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        ["*test_x: @pytest.mark.zephyr key 'DEMO-12' is not a Zephyr Scale test case key*"]
    )
    quiet = pytester.runpytest_subprocess(*LEAN)  # publishing off: the marker is not read
    quiet.assert_outcomes(passed=1)


def test_a_malformed_cycle_key_stops_the_run_at_start(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x():\n    pass\n")

    result = zephyr_run(pytester, "--zephyr-test-cycle=nightly")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test cycle key 'nightly' is not a Zephyr Scale cycle*"])


def test_a_dry_run_builds_and_checks_and_sends_nothing(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile(EVIDENCE)

    result = zephyr_run(pytester, "--tm-auth-dry-run")

    assert result.ret == 0
    assert cloud_env.count() == 0
    result.stdout.fnmatch_lines(
        ["zephyr: dry run: 2 results for a new test cycle built and checked; nothing sent"]
    )


def test_cloud_says_once_that_evidence_was_not_sent(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile(EVIDENCE)

    result = zephyr_run(pytester)

    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "zephyr: published 2 results to *",
            "zephyr: 3 evidence file(s) of 2 test(s) not sent: Zephyr Scale Cloud's API takes "
            "no attachments",
        ]
    )


def test_datacenter_attaches_each_file_once_over_a_replay(
    pytester: pytest.Pytester, datacenter_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(EVIDENCE)
    journal = pytester.path / "journal.jsonl"
    datacenter_env.add_faults(
        Fault(passthrough=True), Fault(500, body="down"), route="zephyrdc.attachments"
    )

    result = zephyr_run(pytester, f"--tm-auth-journal={journal}")

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "zephyr: results landed in DEMO-C*: 2 attachment(s) not: attaching a file to the "
            "result of DEMO-T8: *HTTP 500*; journal kept: *"
        ]
    )
    assert main(["publish", str(journal)]) == 0
    assert "zephyr: published 2 results to DEMO-C" in capsys.readouterr().out
    (run,) = datacenter_env.zephyr_runs()
    files = {
        case: sorted(a["filename"] for a in found[0]["attachments"])
        for case, found in run["executions"].items()
    }
    assert files == {"DEMO-T8": ["one.txt", "two.txt"], "DEMO-T9": ["three.txt"]}
    assert datacenter_env.count("zephyrdc.testrun") == 1
    assert datacenter_env.count("zephyrdc.runresults") == 2  # each attempt finds the ids once
    assert datacenter_env.count("zephyrdc.attachments") == 4  # 3 files, the refused one again


AUDITED = """
import pytest

@pytest.mark.zephyr("DEMO-T1", "DEMO-T450")
def test_a():
    raise AssertionError("never runs under --tm-auth-check")

@pytest.mark.zephyr("DEMO-T9999")
def test_missing():
    pass
"""


@pytest.mark.parametrize(
    ("env", "route", "pages"),
    [("cloud_env", "zephyr.testcases", 1), ("datacenter_env", "zephyrdc.search", 3)],
    ids=["cloud", "datacenter"],
)
def test_the_check_lists_the_linked_test_cases_that_do_not_exist(
    pytester: pytest.Pytester, request: pytest.FixtureRequest, env: str, route: str, pages: int
) -> None:
    sandbox: Sandbox = request.getfixturevalue(env)
    pytester.makepyfile(test_linked=AUDITED)

    result = zephyr_run(pytester, "--tm-auth-check")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "zephyr links: 1 of 3 linked keys are not test cases:",
            "  DEMO-T9999: no such test case (linked by test_linked.py::test_missing)",
        ]
    )
    assert sandbox.count(route) == pages  # the project's test cases, a page at a time


def test_executions_into_an_existing_cycle_keep_to_the_rate_budget(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    cases = 30
    pytester.makepyfile(
        "\n".join(
            f"@__import__('pytest').mark.zephyr('DEMO-T{n}')\ndef test_{n}():\n    pass\n"
            for n in range(1, cases + 1)
        )
    )
    cloud_env.limit_rate("zephyr", requests=20, seconds=1)

    result = zephyr_run(pytester, "--zephyr-test-cycle=DEMO-R5", "--zephyr-rate-limit=20/1")

    assert result.ret == 0
    assert cloud_env.count("zephyr.testexecutions", status=201) == cases
    assert cloud_env.count("zephyr", status=429) == 0  # paced, never refused (1 without)


def test_the_command_lands_a_refused_run_into_its_cycle_with_the_run_s_settings(
    pytester: pytest.Pytester, cloud_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(EVIDENCE)
    journal = pytester.path / "journal.jsonl"
    cloud_env.add_faults(Fault(400, body="no"), route="zephyr.testexecutions")

    result = zephyr_run(
        pytester,
        "--zephyr-test-cycle=DEMO-R6",
        "--zephyr-environment=Linux",
        f"--tm-auth-journal={journal}",
    )

    assert result.ret == 1
    assert main(["publish", str(journal), "--zephyr-environment", "Mac"]) != 0  # a report's
    assert main(["publish", str(journal)]) == 0
    assert "zephyr: published 2 results to DEMO-R6" in capsys.readouterr().out
    (cycle,) = cloud_env.zephyr_cycles()
    assert {found[0]["environment"] for found in cycle["executions"].values()} == {"Linux"}
    assert sum(len(found) for found in cycle["executions"].values()) == 2


def test_a_hook_that_renames_the_new_cycle_keeps_the_label_it_is_found_by(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makeconftest(
        """
        def pytest_tm_auth_results(provider, results):
            results["testCycle"] = {"name": "Nightly", "description": "by the team"}
        """
    )
    pytester.makepyfile(EVIDENCE)

    result = zephyr_run(pytester)

    assert result.ret == 0
    (cycle,) = cloud_env.zephyr_cycles()
    assert cycle["name"] == "Nightly"
    assert cycle["description"].startswith("by the team [tm-auth-")


def test_a_hook_cannot_send_executions_to_another_cycle(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makeconftest(
        """
        def pytest_tm_auth_results(provider, results):
            for execution in results["executions"]:
                execution["testCycleKey"] = "DEMO-R1"
        """
    )
    pytester.makepyfile(EVIDENCE)

    result = zephyr_run(pytester, "--zephyr-test-cycle=DEMO-R7")

    assert result.ret == 0
    assert [cycle["key"] for cycle in cloud_env.zephyr_cycles()] == ["DEMO-R7"]
