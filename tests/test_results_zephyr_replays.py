"""A replay into an existing Zephyr Scale cycle or run lands each result once, through pytest
against the stand-in: after a team's hook rewrote every comment and an answer was lost,
and after the run was killed during its first request (the journal's last line never
written); evidence attached to a new run whose comments a hook rewrote.
"""

from __future__ import annotations

from typing import Any

import pytest

from pytest_tm_auth.cli.main import main
from pytest_tm_auth.sandbox import Sandbox
from pytest_tm_auth.sandbox.faults import Fault
from tests.test_results_zephyr import FEW, lean_runs, only, zephyr_run

__all__ = ["lean_runs"]  # the autouse fixture, used here too

#: A team's hook that writes its own words before each comment.
PREFIXING = """
def pytest_tm_auth_results(provider, results):
    if "executions" in results:
        for execution in results["executions"]:
            execution["comment"] = "Build 42: " + execution["comment"]
"""


def counts(cycle: dict[str, Any]) -> dict[str, int]:
    return {case: len(found) for case, found in cycle["executions"].items()}


def existing(env: str, sandbox: Sandbox, pytester: pytest.Pytester) -> tuple[str, str, int]:
    """The cycle or run to publish into, the route its results go by, and how many results
    each test case holds before (Data Center's: a run of its own first)."""
    if env == "cloud_env":
        return "DEMO-R4", "zephyr.testexecutions", 0
    pytester.makepyfile(test_few=FEW)
    assert zephyr_run(pytester).ret == 1
    return only(sandbox.zephyr_runs())["key"], "zephyrdc.testresults", 1


def held(env: str, sandbox: Sandbox, key: str) -> dict[str, Any]:
    cycles = sandbox.zephyr_cycles() if env == "cloud_env" else sandbox.zephyr_runs()
    (cycle,) = [cycle for cycle in cycles if cycle["key"] == key]
    return cycle


@pytest.mark.parametrize("env", ["cloud_env", "datacenter_env"], ids=["cloud", "datacenter"])
def test_a_hook_that_rewrites_comments_cannot_make_a_replay_send_twice(
    pytester: pytest.Pytester,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
    env: str,
) -> None:
    sandbox: Sandbox = request.getfixturevalue(env)
    key, route, before = existing(env, sandbox, pytester)
    pytester.makepyfile(test_few=FEW)
    pytester.makeconftest(PREFIXING)
    lost = [Fault(passthrough=True), Fault(drop_after=True)] if env == "cloud_env" else []
    sandbox.add_faults(*(lost or [Fault(drop_after=True)]), route=route)
    journal = pytester.path / "journal.jsonl"

    result = zephyr_run(pytester, f"--zephyr-test-cycle={key}", f"--tm-auth-journal={journal}")

    result.stdout.fnmatch_lines(["zephyr: outcome unknown: *"])
    capsys.readouterr()
    assert main(["publish", str(journal)]) == 0
    assert f"zephyr: published 3 results to {key}" in capsys.readouterr().out
    cycle = held(env, sandbox, key)
    assert counts(cycle) == {case: before + 1 for case in ("DEMO-T5", "DEMO-T6", "DEMO-T7")}
    mine = {case: found[-1]["comment"] for case, found in cycle["executions"].items()}
    assert all(comment.startswith("tm-auth-") for comment in mine.values())
    assert "Build 42: " in mine["DEMO-T5"]  # sent by the run, through the team's hook


@pytest.mark.parametrize("env", ["cloud_env", "datacenter_env"], ids=["cloud", "datacenter"])
def test_a_run_killed_during_its_first_request_into_a_cycle_is_replayed_once(
    pytester: pytest.Pytester,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
    env: str,
) -> None:
    sandbox: Sandbox = request.getfixturevalue(env)
    key, route, before = existing(env, sandbox, pytester)
    pytester.makepyfile(test_few=FEW)
    sandbox.add_faults(Fault(drop_after=True), route=route)
    journal = pytester.path / "journal.jsonl"
    zephyr_run(pytester, f"--zephyr-test-cycle={key}", f"--tm-auth-journal={journal}")
    lines = journal.read_text().splitlines(keepends=True)
    assert '"failed"' in lines[-1]
    journal.write_text("".join(lines[:-1]))  # what a kill during the request leaves

    capsys.readouterr()
    assert main(["publish", str(journal)]) == 0

    assert f"zephyr: published 3 results to {key}" in capsys.readouterr().out
    cycle = held(env, sandbox, key)
    assert counts(cycle) == {case: before + 1 for case in ("DEMO-T5", "DEMO-T6", "DEMO-T7")}
    if env == "cloud_env":  # the lost one, the replay's listing, then the two left
        assert sandbox.count(route) == 1 + 1 + 2
    else:  # the lost bulk (it landed whole), then the replay's listing alone
        assert (sandbox.count(route), sandbox.count("zephyrdc.runresults")) == (1, 1)


def test_datacenter_evidence_reaches_a_new_run_whose_comments_a_hook_rewrote(
    pytester: pytest.Pytester, datacenter_env: Sandbox
) -> None:
    pytester.makepyfile(
        test_evidence="""
        import pytest

        @pytest.mark.zephyr("DEMO-T5")
        def test_a(tm_result):
            tm_result.attach("note.txt", "hello")
        """
    )
    pytester.makeconftest(PREFIXING)

    result = zephyr_run(pytester)

    assert result.ret == 0
    run = only(datacenter_env.zephyr_runs())
    result.stdout.fnmatch_lines([f"zephyr: published 1 result to {run['key']} in * s"])
    assert datacenter_env.count("zephyrdc.attachments") == 1
