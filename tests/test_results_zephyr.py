"""A run's results land in Zephyr Scale exactly once, through pytest itself against the
stand-in, Cloud and Data Center: one new cycle (or run) holding every result in the requests
the design promises, none created for an existing one, a lost answer found again by the
run's label, and the same suite published to Xray and Zephyr Scale at once, each once.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_tm_auth.cli.main import main
from pytest_tm_auth.sandbox import Sandbox
from pytest_tm_auth.sandbox.faults import Fault

#: Test cases the 1000 tests link: DEMO-T1 (parametrized 200 times), then 249 more.
CASES = 250


def thousand_zephyr_tests(*, failing: bool = True, xray: bool = False) -> str:
    """1000 tests linked to 250 test cases: one parametrized 200 times (one variant fails,
    unless not ``failing``), 800 plain; each linked to the Xray Test of its number too
    when ``xray``."""
    also = "@pytest.mark.xray('DEMO-1')\n" if xray else ""
    lines = [
        "import pytest",
        "",
        f"{also}@pytest.mark.zephyr('DEMO-T1')",
        "@pytest.mark.parametrize('n', range(200))",
        "def test_param(n):",
        f"    assert n != {7 if failing else -1}",
        "",
    ]
    for index in range(800):
        number = 2 + index % (CASES - 1)
        if xray:
            lines.append(f"@pytest.mark.xray('DEMO-{number}')")
        lines += [f"@pytest.mark.zephyr('DEMO-T{number}')", f"def test_{index}():", "    pass", ""]
    return "\n".join(lines)


#: The plugins a run loads: this one and xdist, none of the others installed (seconds
#: less per run; nothing here needs them).
LEAN = ("-p", "no:cacheprovider", "-p", "tm_auth", "-p", "xdist")


@pytest.fixture(autouse=True)
def lean_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def zephyr_run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(*LEAN, "--zephyr-publish", "--zephyr-project=DEMO", *args)


def only(cycles: list[dict[str, Any]]) -> dict[str, Any]:
    made = [cycle for cycle in cycles if cycle["created"]]
    assert len(made) == 1, [cycle["key"] for cycle in made]
    return made[0]


def landed_once(cycle: dict[str, Any]) -> None:
    """Every linked test case holds exactly one result."""
    executions = cycle["executions"]
    assert len(executions) == CASES
    assert all(len(found) == 1 for found in executions.values())


@pytest.mark.scale
@pytest.mark.parametrize("workers", [["-n", "0"], ["-n", "4"]], ids=["n0", "n4"])
def test_cloud_a_thousand_tests_make_one_cycle_in_one_upload(
    pytester: pytest.Pytester, cloud_env: Sandbox, workers: list[str]
) -> None:
    pytester.makepyfile(test_many=thousand_zephyr_tests())

    result = zephyr_run(pytester, *workers)

    result.assert_outcomes(passed=999, failed=1)
    assert cloud_env.count("zephyr.testcycles") == 1  # the search by label
    assert cloud_env.count("zephyr.automation") == 1  # one upload: the cycle and every result
    assert cloud_env.count("zephyr.testexecutions") == 0
    assert cloud_env.count() == 3  # and the login's check: every request of the run
    cycle = only(cloud_env.zephyr_cycles())
    landed_once(cycle)
    assert cycle["executions"]["DEMO-T1"][0]["status"] == "Fail"
    assert cycle["executions"]["DEMO-T2"][0]["status"] == "Pass"
    assert "tm-auth-" in cycle["name"]
    key = cycle["key"]
    result.stdout.fnmatch_lines(
        [f"zephyr: published {CASES} results to {key} (http*/{key}) in * s"]
    )


@pytest.mark.scale
@pytest.mark.parametrize("workers", [["-n", "0"], ["-n", "4"]], ids=["n0", "n4"])
def test_datacenter_a_thousand_tests_make_one_run_in_one_request(
    pytester: pytest.Pytester, datacenter_env: Sandbox, workers: list[str]
) -> None:
    pytester.makepyfile(test_many=thousand_zephyr_tests())

    result = zephyr_run(pytester, *workers)

    result.assert_outcomes(passed=999, failed=1)
    assert datacenter_env.count("zephyrdc.runsearch") == 1
    assert datacenter_env.count("zephyrdc.testrun") == 1
    assert datacenter_env.count("zephyrdc.testresults") == 0
    assert datacenter_env.count() == 3  # and the login's check: every request of the run
    run = only(datacenter_env.zephyr_runs())
    landed_once(run)
    assert run["executions"]["DEMO-T1"][0]["status"] == "Fail"
    comment = run["executions"]["DEMO-T1"][0]["comment"]
    assert comment.startswith("tm-auth-")
    assert "\n[Fail] 7\n" in comment
    assert comment.count("\n[Pass] ") == 199
    result.stdout.fnmatch_lines([f"zephyr: published {CASES} results to {run['key']} in * s"])


def test_cloud_an_existing_cycle_gets_one_execution_per_case_and_none_is_created(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile(test_many=thousand_zephyr_tests())

    result = zephyr_run(pytester, "--zephyr-test-cycle=DEMO-R3", "--zephyr-environment=Linux")

    result.assert_outcomes(passed=999, failed=1)
    assert cloud_env.count("zephyr.testcycles") == 0
    assert cloud_env.count("zephyr.automation") == 0
    assert cloud_env.count("zephyr.testexecutions") == CASES  # one per test case, no listing
    (cycle,) = cloud_env.zephyr_cycles()
    assert cycle["key"] == "DEMO-R3"
    landed_once(cycle)
    first = cycle["executions"]["DEMO-T1"][0]
    assert (first["status"], first["environment"]) == ("Fail", "Linux")
    assert first["execution_time"] >= 0
    result.stdout.fnmatch_lines([f"zephyr: published {CASES} results to DEMO-R3 in * s"])


def test_datacenter_an_existing_run_gets_every_result_in_one_request(
    pytester: pytest.Pytester, datacenter_env: Sandbox
) -> None:
    pytester.makepyfile(test_few=FEW)
    made = zephyr_run(pytester)  # a run of its own first, to publish into
    assert made.ret == 1
    key = only(datacenter_env.zephyr_runs())["key"]
    before = {route: datacenter_env.count(route) for route in ROUTES}

    result = zephyr_run(pytester, f"--zephyr-test-cycle={key}")

    assert result.ret == 1  # the failing test
    after = {route: datacenter_env.count(route) - before[route] for route in ROUTES}
    assert after == {"zephyrdc.testresults": 1, "zephyrdc.testrun": 0, "zephyrdc.runsearch": 0}
    executions = only(datacenter_env.zephyr_runs())["executions"]
    assert {case: len(found) for case, found in executions.items()} == {
        "DEMO-T5": 2,  # the run's own result, then this run's
        "DEMO-T6": 2,
        "DEMO-T7": 2,
    }
    result.stdout.fnmatch_lines([f"zephyr: published 3 results to {key} in * s"])


ROUTES = ("zephyrdc.testresults", "zephyrdc.testrun", "zephyrdc.runsearch")


FEW = """
import pytest

@pytest.mark.zephyr("DEMO-T5")
def test_a():
    pass

@pytest.mark.zephyr("DEMO-T6", "DEMO-T7")
def test_b():
    assert False, "broken"
"""


@pytest.mark.parametrize(
    ("env", "route"),
    [("cloud_env", "zephyr.automation"), ("datacenter_env", "zephyrdc.testrun")],
    ids=["cloud", "datacenter"],
)
def test_a_lost_creation_answer_is_found_by_label_and_never_sent_again(
    pytester: pytest.Pytester,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
    env: str,
    route: str,
) -> None:
    sandbox: Sandbox = request.getfixturevalue(env)
    pytester.makepyfile(test_few=FEW)
    journal = pytester.path / "journal.jsonl"
    sandbox.add_faults(Fault(drop_after=True), route=route)

    result = zephyr_run(pytester, f"--tm-auth-journal={journal}")

    assert result.ret == 1
    result.stdout.fnmatch_lines([f"zephyr: outcome unknown: *; journal kept: {journal}; *"])
    capsys.readouterr()
    assert main(["publish", str(journal)]) == 0
    assert main(["publish", str(journal)]) == 0
    said = capsys.readouterr().out.splitlines()
    cycles = sandbox.zephyr_cycles() if env == "cloud_env" else sandbox.zephyr_runs()
    cycle = only(cycles)
    assert said[0].startswith(f"zephyr: published 3 results to {cycle['key']}")
    assert said[1].startswith(f"zephyr: already published to {cycle['key']}")
    assert sandbox.count(route) == 1  # the lost one only: the replay found it by its label
    assert {case: len(found) for case, found in cycle["executions"].items()} == {
        "DEMO-T5": 1,
        "DEMO-T6": 1,
        "DEMO-T7": 1,
    }


def test_cloud_a_connection_dropped_midway_ends_with_each_result_once(
    pytester: pytest.Pytester, cloud_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(test_many=thousand_zephyr_tests(failing=False))
    journal = pytester.path / "journal.jsonl"
    passing = [Fault(passthrough=True)] * 99
    cloud_env.add_faults(*passing, Fault(drop_after=True), route="zephyr.testexecutions")

    result = zephyr_run(pytester, "--zephyr-test-cycle=DEMO-R4", f"--tm-auth-journal={journal}")

    assert result.ret == 1
    result.stdout.fnmatch_lines(["zephyr: outcome unknown: sending the result of DEMO-T*"])
    assert main(["publish", str(journal)]) == 0
    (cycle,) = cloud_env.zephyr_cycles()
    landed_once(cycle)
    # 100 sent by the run (the last answer lost), one listing, then the 150 left
    assert cloud_env.count("zephyr.testexecutions") == 100 + 1 + 150
    assert "published 250 results to DEMO-R4" in capsys.readouterr().out


def test_the_same_suite_is_published_to_xray_and_zephyr_each_once(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile(test_many=thousand_zephyr_tests(xray=True))

    result = pytester.runpytest_subprocess(
        *LEAN,
        "-n",
        "4",
        "--xray-publish",
        "--xray-project=DEMO",
        "--zephyr-publish",
        "--zephyr-project=DEMO",
    )

    result.assert_outcomes(passed=999, failed=1)
    (execution,) = cloud_env.test_executions()
    assert len(execution["runs"]) == CASES
    assert cloud_env.count("xray.import") == 1
    cycle = only(cloud_env.zephyr_cycles())
    landed_once(cycle)
    assert cloud_env.count("zephyr.automation") == 1
    result.stdout.fnmatch_lines(
        [
            f"xray: published {CASES} results to {execution['key']} * in * s",
            f"zephyr: published {CASES} results to {cycle['key']} * in * s",
        ]
    )


@pytest.mark.parametrize("env", ["cloud_env", "datacenter_env"])
def test_a_token_and_a_secret_a_failing_test_prints_reach_neither_service_nor_journal(
    pytester: pytest.Pytester, request: pytest.FixtureRequest, env: str
) -> None:
    sandbox: Sandbox = request.getfixturevalue(env)
    settings = sandbox.env("cloud" if env == "cloud_env" else "datacenter")
    secret = settings.get("ZEPHYR_TOKEN") or settings["JIRA_TOKEN"]
    journal = pytester.path / "journal.jsonl"
    pytester.makepyfile(
        test_leak=f"""
        import pytest

        @pytest.mark.zephyr("DEMO-T5")
        def test_leaky(zephyr_session, tm_result):
            tm_result.attach("said.txt", "the token " + {secret!r})
            print("secret", {secret!r})
            assert False, "the token is " + {secret!r}
        """
    )

    result = zephyr_run(
        pytester,
        "--zephyr-test-cycle=DEMO-R2" if env == "cloud_env" else "",
        f"--tm-auth-journal={journal}",
        "--tm-auth-attach-output",
    )

    result.assert_outcomes(failed=1)
    cycles = sandbox.zephyr_cycles() if env == "cloud_env" else sandbox.zephyr_runs()
    landed = json.dumps(cycles)
    assert "DEMO-T5" in landed
    assert secret not in landed
    assert secret not in journal.read_text()
    assert secret not in result.stdout.str() + result.stderr.str()


def test_datacenter_a_lost_bulk_answer_is_looked_for_before_sending_again(
    pytester: pytest.Pytester, datacenter_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(test_few=FEW)
    zephyr_run(pytester)  # a run of its own first, to publish into
    key = only(datacenter_env.zephyr_runs())["key"]
    journal = pytester.path / "journal.jsonl"
    datacenter_env.add_faults(Fault(drop_after=True), route="zephyrdc.testresults")

    result = zephyr_run(pytester, f"--zephyr-test-cycle={key}", f"--tm-auth-journal={journal}")

    result.stdout.fnmatch_lines([f"zephyr: outcome unknown: sending the results into {key}: *"])
    assert main(["publish", str(journal)]) == 0
    assert f"zephyr: published 3 results to {key}" in capsys.readouterr().out
    executions = only(datacenter_env.zephyr_runs())["executions"]
    assert {case: len(found) for case, found in executions.items()} == {
        "DEMO-T5": 2,  # the first run's result, then the lost bulk's: not sent again
        "DEMO-T6": 2,
        "DEMO-T7": 2,
    }
    assert datacenter_env.count("zephyrdc.testresults") == 1
    assert datacenter_env.count("zephyrdc.runresults") == 1
