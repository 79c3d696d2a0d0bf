"""A run's results land in Xray exactly once, through pytest itself against the stand-in:
one Test Execution and one import however many tests and workers, none created for an
existing one, a lost answer said as unknown and landed by ``pytest-tm-auth publish``, Data
Center's 200 with rejected keys failing the run, no secret in what the stand-in received.

These runs need the whole feature: the collecting (markers, the journal), publishing, and
the stand-in's import endpoints (``Sandbox.test_executions()``, the drop-after fault).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_tm_auth.cli.main import main
from pytest_tm_auth.sandbox import Sandbox
from pytest_tm_auth.sandbox.faults import Fault

#: The stand-in's seeded Tests are DEMO-1..DEMO-250; DEMO-251.. are Test Executions.
TESTS = 250


def thousand_linked_tests(*, failing: bool = True) -> str:
    """1000 tests linked to the 250 Tests: one parametrized 200 times (one variant fails,
    unless not ``failing``), 800 plain."""
    lines = [
        "import pytest",
        "",
        "@pytest.mark.xray('DEMO-1')",
        "@pytest.mark.parametrize('n', range(200))",
        "def test_param(n):",
        f"    assert n != {7 if failing else -1}",
        "",
    ]
    for index in range(800):
        key = 2 + index % (TESTS - 1)
        lines += [f"@pytest.mark.xray('DEMO-{key}')", f"def test_{index}():", "    pass", ""]
    return "\n".join(lines)


def publishing_run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--xray-publish", "--xray-project=DEMO", *args
    )


def executions(sandbox: Sandbox) -> list[dict[str, Any]]:
    return sandbox.test_executions()


@pytest.mark.scale
@pytest.mark.parametrize(
    ("workers", "runs"),
    [(["-n", "0"], 1), (["-n", "4"], 1), (["-n", "2", "--dist", "each"], 2)],
    ids=["n0", "n4", "dist-each"],
)
def test_a_thousand_linked_tests_make_one_execution_and_one_import(
    pytester: pytest.Pytester, cloud_env: Sandbox, workers: list[str], runs: int
) -> None:
    pytester.makepyfile(test_many=thousand_linked_tests())
    journal = pytester.path / "journal.jsonl"

    result = publishing_run(pytester, *workers, f"--tm-auth-journal={journal}")

    result.assert_outcomes(passed=999 * runs, failed=runs)
    assert cloud_env.count("xray.import") == 1
    assert cloud_env.count("xray.graphql") == 2  # the search by label, the creation
    assert cloud_env.count("xray.authenticate") == 1
    (execution,) = executions(cloud_env)
    assert len(execution["runs"]) == TESTS
    assert len(execution["runs"]["DEMO-1"]["iterations"]) == 200 * runs  # each place's run
    assert execution["runs"]["DEMO-1"]["status"] == "FAILED"
    result.stdout.fnmatch_lines([f"xray: published {TESTS} results to {execution['key']} * in * s"])


def test_an_existing_execution_gets_the_results_and_none_is_created(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile(
        test_two="import pytest\n\n@pytest.mark.xray('DEMO-3')\ndef test_a():\n    pass\n"
    )

    result = publishing_run(pytester, "--xray-test-execution=DEMO-300")

    assert result.ret == 0
    assert cloud_env.count("xray.graphql") == 0
    assert cloud_env.count("xray.import") == 1
    result.stdout.fnmatch_lines(["xray: published 1 result to DEMO-300 * in * s"])


def test_a_lost_import_answer_is_unknown_and_the_command_lands_it_once(
    pytester: pytest.Pytester, cloud_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(test_many=thousand_linked_tests(failing=False))
    journal = pytester.path / "journal.jsonl"
    cloud_env.add_faults(Fault(drop_after=True), route="xray.import")

    result = publishing_run(pytester, f"--tm-auth-journal={journal}")

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            f"xray: outcome unknown: *; journal kept: {journal}; "
            f"to publish it: pytest-tm-auth publish {journal}"
        ]
    )
    assert journal.exists()
    capsys.readouterr()
    assert main(["publish", str(journal)]) == 0
    assert main(["publish", str(journal)]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said[0].startswith(f"xray: published {TESTS} results to DEMO-")
    assert said[1].startswith("xray: already published to DEMO-")
    (execution,) = executions(cloud_env)
    assert len(execution["runs"]) == TESTS
    assert cloud_env.count("xray.graphql") == 2  # a search, then one creation in all
    assert cloud_env.count("xray.import") == 2  # the lost one, and the command's


def test_datacenter_200_with_two_rejected_keys_fails_the_run_naming_both(
    pytester: pytest.Pytester, datacenter_env: Sandbox
) -> None:
    pytester.makepyfile(
        test_dc="""
        import pytest

        @pytest.mark.xray("DEMO-1", "DEMO-300", "DEMO-9999")
        def test_linked():
            pass
        """
    )

    result = publishing_run(pytester)

    assert result.ret == 1
    result.stdout.fnmatch_lines(["xray: results not published: *DEMO-300 (*DEMO-9999 (*"])


def test_a_token_a_failing_test_prints_is_in_no_payload(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    secret = cloud_env.env("cloud")["XRAY_CLIENT_SECRET"]
    pytester.makepyfile(
        test_leak=f"""
        import pytest

        @pytest.mark.xray("DEMO-5")
        def test_leaky(xray_token):
            print("token", xray_token, "secret", {secret!r})
            assert xray_token == {secret!r} + str(xray_token)
        """
    )

    result = publishing_run(pytester, "-n", "2")

    result.assert_outcomes(failed=1)
    (execution,) = executions(cloud_env)
    landed = json.dumps(execution)
    assert secret not in landed
    assert "eyJ" not in landed  # no JWT
    assert execution["runs"]["DEMO-5"]["comment"]


def test_no_linked_test_selected_sends_nothing(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile(test_plain="def test_a():\n    pass\n")

    result = publishing_run(pytester)

    assert result.ret == 0
    assert cloud_env.count() == 0
    result.stdout.fnmatch_lines(["xray: no linked test was selected: nothing to publish"])


def test_the_command_refuses_a_tampered_journal(
    pytester: pytest.Pytester, cloud_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(
        test_one="import pytest\n\n@pytest.mark.xray('DEMO-2')\ndef test_a():\n    pass\n"
    )
    journal = pytester.path / "journal.jsonl"
    publishing_run(pytester, f"--tm-auth-journal={journal}", "--tm-auth-dry-run")
    journal.write_text(journal.read_text().replace("DEMO-2", "DEMO-3"))

    assert main(["publish", str(journal)]) == 1
    assert "was changed after it was written" in capsys.readouterr().err
    assert cloud_env.count() == 0


def test_a_publish_failure_can_be_a_warning(pytester: pytest.Pytester, cloud_env: Sandbox) -> None:
    pytester.makepyfile(
        test_one="import pytest\n\n@pytest.mark.xray('DEMO-2')\ndef test_a():\n    pass\n"
    )
    cloud_env.add_faults(
        Fault(500, body="down"), Fault(500), Fault(500), Fault(500), route="xray.import"
    )

    result = publishing_run(
        pytester, "--tm-auth-on-publish-failure=warn", "--xray-test-execution=DEMO-300"
    )

    assert result.ret == 0
    result.stdout.fnmatch_lines(["*PublishFailureWarning: xray: results not published: *HTTP 500*"])


def test_the_command_says_a_missing_journal_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["publish", str(tmp_path / "missing.jsonl")]) == 1
    said = capsys.readouterr().err
    assert said.startswith("pytest-tm-auth: cannot read the journal ")
    assert said.count("\n") == 1
