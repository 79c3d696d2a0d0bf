"""Zephyr Scale's answers to publishing's requests, through pytest against the stand-in: an
execution named by its ``Location`` alone (as the facts document Cloud's 201), or by
nothing; the requests that carry a whole run's results given the import's time, not the
run's timeout.
"""

from __future__ import annotations

import json

import pytest

from pytest_tm_auth.sandbox import Sandbox
from pytest_tm_auth.sandbox.faults import Fault
from tests.test_results_zephyr import FEW, lean_runs, only, zephyr_run

__all__ = ["lean_runs"]  # the autouse fixture, used here too


@pytest.mark.parametrize(
    "headers", [{"Location": "https://x/v2/testexecutions/5"}, {}], ids=["location", "nothing"]
)
def test_cloud_a_201_without_a_body_is_a_landed_execution(
    pytester: pytest.Pytester, cloud_env: Sandbox, headers: dict[str, str]
) -> None:
    pytester.makepyfile(test_few=FEW)
    journal = pytester.path / "journal.jsonl"
    bare = [Fault(status=201, body="", headers=headers)] * 3
    cloud_env.add_faults(*bare, route="zephyr.testexecutions")

    result = zephyr_run(pytester, "--zephyr-test-cycle=DEMO-R4", f"--tm-auth-journal={journal}")

    result.stdout.fnmatch_lines(["zephyr: published 3 results to DEMO-R4 in * s"])
    assert cloud_env.count("zephyr.testexecutions") == 3
    steps = [json.loads(line) for line in journal.read_text().splitlines()]
    ids = [step["id"] for step in steps if step.get("kind") == "sent"]
    assert ids == (["5"] * 3 if headers else [""] * 3)


def test_cloud_the_stand_in_s_answer_names_each_execution_by_its_body(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile(test_few=FEW)
    journal = pytester.path / "journal.jsonl"

    result = zephyr_run(pytester, "--zephyr-test-cycle=DEMO-R4", f"--tm-auth-journal={journal}")

    result.stdout.fnmatch_lines(["zephyr: published 3 results to DEMO-R4 in * s"])
    steps = [json.loads(line) for line in journal.read_text().splitlines()]
    ids = [step["id"] for step in steps if step.get("kind") == "sent"]
    assert len(set(ids)) == 3
    assert all(given.isdigit() for given in ids)


@pytest.mark.parametrize(
    ("env", "route", "existing"),
    [
        ("cloud_env", "zephyr.automation", False),
        ("datacenter_env", "zephyrdc.testrun", False),
        ("datacenter_env", "zephyrdc.testresults", True),
    ],
    ids=["cloud-upload", "datacenter-run", "datacenter-bulk"],
)
def test_a_whole_run_s_request_outlasts_the_run_s_timeout(
    pytester: pytest.Pytester,
    request: pytest.FixtureRequest,
    env: str,
    route: str,
    existing: bool,
) -> None:
    sandbox: Sandbox = request.getfixturevalue(env)
    pytester.makepyfile(test_few=FEW)
    into: list[str] = []
    if existing:
        zephyr_run(pytester)
        into = [f"--zephyr-test-cycle={only(sandbox.zephyr_runs())['key']}"]
    sandbox.add_faults(Fault(passthrough=True, delay=1.5), route=route)

    result = zephyr_run(pytester, "--tm-auth-timeout=1", *into)

    result.stdout.fnmatch_lines(["zephyr: published 3 results to * in * s"])
    assert sandbox.count(route) == 1
