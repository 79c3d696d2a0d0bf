"""What the review of publishing found, mended and proven through pytest against the
stand-in: a raising ``pytest_tm_auth_published`` hook is one scrubbed warning after the
results landed; the run's exit status is the tests' own."""

from __future__ import annotations

import json

import pytest

from pytest_tm_auth.cli.main import main
from pytest_tm_auth.sandbox import Sandbox
from pytest_tm_auth.sandbox.faults import Fault

LINKED = "import pytest\n\n@pytest.mark.xray('DEMO-2')\ndef test_a():\n    pass\n"


def publishing_run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--xray-publish", "--xray-project=DEMO", *args
    )


def test_a_raising_published_hook_is_one_scrubbed_warning_and_the_run_stays_green(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    secret = cloud_env.env("cloud")["XRAY_CLIENT_SECRET"]
    pytester.makeconftest(
        """
        import os

        def pytest_tm_auth_published(provider, target):
            raise RuntimeError("token=" + os.environ["XRAY_CLIENT_SECRET"])
        """
    )
    pytester.makepyfile(test_one=LINKED)
    journal = pytester.path / "journal.jsonl"

    result = publishing_run(pytester, f"--tm-auth-journal={journal}")

    assert result.ret == pytest.ExitCode.OK
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*PublishedHookWarning: xray: the results landed in DEMO-*, then the "
            "pytest_tm_auth_published hook raised RuntimeError: token=*",
            "xray: published 1 result to DEMO-*",
        ]
    )
    assert secret not in result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in result.stdout.str()
    assert cloud_env.count("xray.import") == 1
    assert '"kind":"landed"' in journal.read_text()


def test_a_secrets_piece_in_an_evidence_name_or_a_comment_is_in_no_journal_or_payload(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    secret = cloud_env.env("cloud")["XRAY_CLIENT_SECRET"]
    piece = secret[:30]
    pytester.makepyfile(
        test_piece="""
        import os
        import pytest

        @pytest.mark.xray("DEMO-1")
        def test_a(tm_result):
            piece = os.environ["XRAY_CLIENT_SECRET"][:30]
            tm_result.attach("f-" + piece + ".txt", "body")
            tm_result.comment("see " + piece)
        """
    )
    journal = pytester.path / "journal.jsonl"

    result = publishing_run(pytester, f"--tm-auth-journal={journal}")

    result.assert_outcomes(passed=1)
    (execution,) = cloud_env.test_executions()
    landed = json.dumps(execution)
    assert "f-***.txt" in landed
    assert piece not in landed
    assert piece not in journal.read_text()
    assert piece not in result.stdout.str()


def test_an_import_slower_than_the_runs_timeout_still_lands(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    """The import gets at least 120 s per attempt: a big one is slow, and its lost answer
    would be an outcome unknown. Here the run's timeout is 1 s, the import's answer 2 s."""
    pytester.makepyfile(test_one=LINKED)
    cloud_env.add_faults(Fault(delay=2, passthrough=True), route="xray.import")

    result = publishing_run(pytester, "--tm-auth-timeout=1", "--xray-test-execution=DEMO-300")

    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(["xray: published 1 result to DEMO-300*"])
    assert cloud_env.count("xray.import") == 1


def test_a_bad_status_table_is_a_usage_error_before_any_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_one="import pytest\n\n@pytest.mark.xray('DEMO-2')\ndef test_a():\n"
        "    open('ran', 'w').close()\n"
    )

    result = publishing_run(pytester, "--xray-statuses=skipped")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--xray-statuses: 'skipped' is not OUTCOME=STATUS*"])
    assert not (pytester.path / "ran").exists()


def test_the_command_gives_a_setting_anew_over_the_journals(
    pytester: pytest.Pytester, cloud_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(test_one=LINKED)
    journal = pytester.path / "journal.jsonl"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--xray-publish", "--xray-statuses=passed=DONE",
        f"--tm-auth-journal={journal}",
    )  # fmt: skip
    result.stdout.fnmatch_lines(["xray: results not published: *--xray-project*"])
    capsys.readouterr()

    assert main(["publish", str(journal), "--xray-project=DEMO"]) == 1  # DONE: no such status
    assert "importing the results into DEMO-" in capsys.readouterr().err  # created, refused
    assert main(["publish", str(journal), "--xray-project=DEMO", "--xray-statuses="]) == 0

    said = capsys.readouterr().out
    assert said.startswith("xray: published 1 result to DEMO-")
    (execution,) = cloud_env.test_executions()
    assert execution["runs"]["DEMO-2"]["status"] == "PASSED"


def test_a_dry_runs_journal_is_published_only_when_asked(
    pytester: pytest.Pytester, cloud_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(test_one=LINKED)
    journal = pytester.path / "journal.jsonl"
    publishing_run(pytester, "--tm-auth-dry-run", f"--tm-auth-journal={journal}")
    capsys.readouterr()

    assert main(["publish", str(journal)]) == 1
    assert capsys.readouterr().err == (
        f"pytest-tm-auth: {journal} was written by a dry run (--tm-auth-dry-run): nothing of "
        f"it is sent unless asked; to publish it: pytest-tm-auth publish {journal} "
        "--publish-dry-run-journal\n"
    )
    assert cloud_env.count() == 0
    assert main(["publish", str(journal), "--publish-dry-run-journal"]) == 0
    assert capsys.readouterr().out.startswith("xray: published 1 result to DEMO-")


def test_an_xdist_run_goes_on_after_a_collection_error_that_only_shows_a_marker(
    pytester: pytest.Pytester,
) -> None:
    """A module whose import fails on the marker's line is an ordinary collection error:
    its traceback quotes ``@pytest.mark.xray``, yet it is no malformed link."""
    pytester.makepyfile(
        test_first="def test_runs_first():\n    open('ran', 'w').close()\n",
        test_broken="import os\nimport pytest\n\n"
        "@pytest.mark.xray(os.environ['DEMO_KEY_NOT_SET'])\ndef test_a():\n    pass\n",
    )

    result = publishing_run(pytester, "-n", "2", "--tm-auth-dry-run")

    assert result.ret != pytest.ExitCode.INTERRUPTED
    assert (pytester.path / "ran").exists()
    result.stdout.fnmatch_lines(["*KeyError*DEMO_KEY_NOT_SET*"])
