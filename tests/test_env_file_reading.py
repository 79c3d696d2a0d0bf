"""A ``.env`` file is read when the run needs the plugin, and a bad value in it still stops
the run before its first test.

"Needs" means: the report header is shown, a selected test requests a fixture, or the run
is a ``--tm-auth-check`` or an xdist run. A quiet unit-test run, ``--collect-only`` or an
IDE's discovery never opens the file, so a bad value there cannot be noticed, and that is
what these tests use to tell whether it was read.
"""

from __future__ import annotations

import pytest

from pytest_tm_auth.sandbox import Sandbox

#: A value no provider accepts: any run that reads this file stops with a usage error.
BAD_LINE = "XRAY_DEPLOYMENT=onprem"
NEEDS_NOTHING = "def test_plain(): pass"
NEEDS_XRAY = """
    def test_plain():
        pass

    def test_xray(xray_session):
        pass
"""


def write_env_file(pytester: pytest.Pytester, sandbox: Sandbox, *extra: str) -> None:
    """The stand-in's Cloud settings in ``.env``, plus ``extra`` lines."""
    lines = [f"{name}={value}" for name, value in sandbox.env("cloud").items()]
    (pytester.path / ".env").write_text("\n".join([*lines, *extra]) + "\n", encoding="utf-8")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", "-p", "no:xdist", *args)


def assert_stopped_by_the_env_file(result: pytest.RunResult) -> None:
    """A usage error naming the file, before any test ran, without a traceback."""
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output
    assert "passed" not in result.stdout.str()
    result.stderr.fnmatch_lines(["ERROR: Invalid value 'onprem' for --xray-deployment from .env*"])


@pytest.mark.parametrize("args", [["-q"], ["--collect-only", "-q"]], ids=["quiet", "collect"])
def test_a_run_that_needs_no_provider_never_reads_it(
    pytester: pytest.Pytester, sandbox: Sandbox, args: list[str]
) -> None:
    write_env_file(pytester, sandbox, BAD_LINE)
    pytester.makepyfile(NEEDS_XRAY if "--collect-only" in args else NEEDS_NOTHING)

    result = run(pytester, *args)

    assert result.ret == pytest.ExitCode.OK
    assert sandbox.count() == 0


def test_a_selected_test_using_a_fixture_stops_the_run_before_any_test(
    pytester: pytest.Pytester, sandbox: Sandbox
) -> None:
    write_env_file(pytester, sandbox, BAD_LINE)
    pytester.makepyfile(NEEDS_XRAY)

    result = run(pytester, "-q")

    assert_stopped_by_the_env_file(result)
    assert sandbox.count() == 0


def test_deselecting_the_tests_that_use_a_fixture_leaves_it_unread(
    pytester: pytest.Pytester, sandbox: Sandbox
) -> None:
    write_env_file(pytester, sandbox, BAD_LINE)
    pytester.makepyfile(NEEDS_XRAY)

    result = run(pytester, "-q", "-k", "plain")

    result.assert_outcomes(passed=1, deselected=1)


def test_the_report_header_reads_it_at_start(pytester: pytest.Pytester, sandbox: Sandbox) -> None:
    write_env_file(pytester, sandbox, BAD_LINE)
    pytester.makepyfile(NEEDS_NOTHING)

    assert_stopped_by_the_env_file(run(pytester))


def test_read_late_it_works_like_read_at_start(pytester: pytest.Pytester, sandbox: Sandbox) -> None:
    """Quiet, so the header does not read it: the first test using a fixture does."""
    write_env_file(pytester, sandbox)
    pytester.makepyfile(
        """
        def test_zephyr(zephyr_session, tm_auth):
            assert zephyr_session.get("projects").status_code == 200
            assert tm_auth.state("zephyr").values.source("zephyr_token").kind == ".env"
        """
    )

    result = run(pytester, "-q")

    result.assert_outcomes(passed=1)
    assert sandbox.count("zephyr.projects") == 2  # the login check, then the test's request


def test_a_fixture_asked_for_at_run_time_fails_its_test_with_one_line(
    pytester: pytest.Pytester, sandbox: Sandbox
) -> None:
    """``request.getfixturevalue`` is invisible at collection: the test itself reports it."""
    write_env_file(pytester, sandbox, BAD_LINE)
    pytester.makepyfile(
        """
        def test_dynamic(request):
            request.getfixturevalue("xray_session")
        """
    )

    result = run(pytester, "-q")

    result.assert_outcomes(errors=0, failed=1)
    result.stdout.fnmatch_lines(["*Invalid value 'onprem' for --xray-deployment from .env*"])
    assert "startup.py" not in result.stdout.str()
    assert sandbox.count() == 0


@pytest.mark.parametrize(
    ("variable", "says"),
    [
        ("TM_AUTH_TIMEOUT=ten", "--tm-auth-timeout from env (TM_AUTH_TIMEOUT)"),
        ("XRAY_REGION=mars", "--xray-region from env (XRAY_REGION)"),
    ],
)
def test_the_environment_is_still_checked_at_start(
    pytester: pytest.Pytester,
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    says: str,
) -> None:
    """The environment wins over ``.env``, so its values need not wait for the file."""
    write_env_file(pytester, sandbox)
    name, value = variable.split("=")
    monkeypatch.setenv(name, value)
    pytester.makepyfile(NEEDS_NOTHING)

    result = run(pytester, "-q")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: *{says}*"])


def test_the_check_is_not_kept_in_an_env_file(pytester: pytest.Pytester, sandbox: Sandbox) -> None:
    """An action for one run: in ``.env`` it would turn every later run into a check."""
    write_env_file(pytester, sandbox, "TM_AUTH_CHECK=1")
    pytester.makepyfile(NEEDS_NOTHING)

    result = run(pytester)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: TM_AUTH_CHECK is set in .env (.env), but --tm-auth-check is an action*"]
    )
    assert sandbox.count() == 0


def test_the_environments_secrets_are_hidden_before_it_is_read(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test can print a secret from ``os.environ`` whether or not the file was read."""
    write_env_file(pytester, sandbox)
    secret = "fake-zephyr-token-from-the-environment"
    monkeypatch.setenv("ZEPHYR_TOKEN", secret)
    pytester.makepyfile(
        """
        import os

        def test_prints_the_token():
            print(os.environ["ZEPHYR_TOKEN"])
            assert os.environ["ZEPHYR_TOKEN"] == "something else"
        """
    )

    result = run(pytester, "-q", "-rA")

    result.assert_outcomes(failed=1)
    assert secret not in result.stdout.str() + result.stderr.str()
    assert sandbox.count() == 0
