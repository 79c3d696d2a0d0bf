"""What a team's ``pytest_tm_auth_results`` hook may not do to Zephyr Scale's payload, through
pytest against the stand-in: a new cycle that is not a dict of text, another project, two
executions of one test case; each refused in one line, nothing sent, and a replay that is
not told an outcome unknown when nothing was sent.
"""

from __future__ import annotations

import pytest

from pytest_tm_auth.cli.main import main
from pytest_tm_auth.sandbox import Sandbox
from tests.test_results_zephyr import FEW, lean_runs, zephyr_run

__all__ = ["lean_runs"]  # the autouse fixture, used here too

ROUTES = ("zephyr.automation", "zephyr.testexecutions", "zephyrdc.testrun", "zephyrdc.testresults")


def hook(change: str) -> str:
    return f"""
def pytest_tm_auth_results(provider, results):
    if "executions" in results:
        {change}
"""


def sent(sandbox: Sandbox) -> int:
    return sum(sandbox.count(route) for route in ROUTES)


@pytest.mark.parametrize("env", ["cloud_env", "datacenter_env"], ids=["cloud", "datacenter"])
@pytest.mark.parametrize("value", ['"Nightly"', '["a"]', '{"name": 5}'])
def test_a_new_cycle_that_is_not_a_dict_of_text_is_refused_in_one_line(
    pytester: pytest.Pytester,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
    env: str,
    value: str,
) -> None:
    sandbox: Sandbox = request.getfixturevalue(env)
    pytester.makepyfile(test_few=FEW)
    pytester.makeconftest(hook(f'results["testCycle"] = {value}'))
    journal = pytester.path / "journal.jsonl"

    result = zephyr_run(pytester, f"--tm-auth-journal={journal}")

    said = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in said
    assert "INTERNALERROR" not in said
    result.stdout.fnmatch_lines(
        ["zephyr: results not published: the pytest_tm_auth_results hook left a testCycle *"]
    )
    assert sent(sandbox) == 0
    capsys.readouterr()
    main(["publish", str(journal)])  # the command runs no team's hook: it lands them
    out = capsys.readouterr().out
    assert "outcome unknown" not in out
    assert "zephyr: published 3 results to" in out


def test_another_project_is_refused_and_nothing_is_sent(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile(test_few=FEW)
    pytester.makeconftest(hook('results["projectKey"] = "OTHER"'))

    result = zephyr_run(pytester)

    result.stdout.fnmatch_lines(
        ["zephyr: results not published: the pytest_tm_auth_results hook changed projectKey*"]
    )
    assert sent(cloud_env) == 0
    assert cloud_env.zephyr_cycles() == []


def test_two_executions_of_one_test_case_are_refused_never_dropped(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile(test_few=FEW)
    twice = 'results["executions"].append(dict(results["executions"][0], statusName="Fail"))'
    pytester.makeconftest(hook(twice))

    result = zephyr_run(pytester, "--zephyr-test-cycle=DEMO-R4")

    result.stdout.fnmatch_lines(["zephyr: results not published: *two executions of DEMO-T5*"])
    assert sent(cloud_env) == 0


def test_a_new_cycle_left_without_a_name_gets_the_run_s(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile(test_few=FEW)
    pytester.makeconftest(hook('results["testCycle"] = {"description": "by the team"}'))

    zephyr_run(pytester)

    (cycle,) = cloud_env.zephyr_cycles()
    assert cycle["name"].startswith("pytest run tm-auth-")
    assert cycle["description"].startswith("by the team")
