"""A ``.env`` file is read when the run needs the plugin, and a bad value in it still stops
the run before its first test.

"Needs" means: the report header is shown, a selected test requests a fixture, or the run
is an xdist run, a ``--tm-auth-check`` or a ``--tm-auth-reset``. A quiet unit-test run and
an IDE's discovery (``--collect-only -q``) never open the file, so a bad value there goes
unnoticed: that is what these tests use to tell whether it was read.
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


def the_usage_error(result: pytest.RunResult) -> str:
    """The run's one error line: no test ran, no traceback, no session banner."""
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output
    assert "INTERNALERROR" not in output
    assert "passed" not in output
    assert "test session starts" not in output
    lines = [line for line in result.stderr.lines if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


# When it is read, and what a bad value in it does


@pytest.mark.parametrize("args", [["-q"], ["--collect-only", "-q"]], ids=["quiet", "discovery"])
def test_a_run_that_needs_no_provider_never_reads_it(
    pytester: pytest.Pytester, sandbox: Sandbox, args: list[str]
) -> None:
    write_env_file(pytester, sandbox, BAD_LINE)
    pytester.makepyfile(NEEDS_XRAY if "--collect-only" in args else NEEDS_NOTHING)

    assert run(pytester, *args).ret == pytest.ExitCode.OK


def test_deselecting_the_tests_that_use_a_fixture_leaves_it_unread(
    pytester: pytest.Pytester, sandbox: Sandbox
) -> None:
    write_env_file(pytester, sandbox, BAD_LINE)
    pytester.makepyfile(NEEDS_XRAY)

    run(pytester, "-q", "-k", "plain").assert_outcomes(passed=1, deselected=1)


@pytest.mark.parametrize(
    "args",
    [["-q"], [], ["--collect-only"], ["-q", "--tm-auth-reset"]],
    ids=["a-test-uses-a-fixture", "header", "header-of-discovery", "reset"],
)
def test_a_run_that_needs_it_stops_before_any_test(
    pytester: pytest.Pytester, sandbox: Sandbox, args: list[str]
) -> None:
    write_env_file(pytester, sandbox, BAD_LINE)
    pytester.makepyfile(NEEDS_XRAY)

    error = the_usage_error(run(pytester, *args))

    assert error.startswith("ERROR: Invalid value 'onprem' for --xray-deployment from .env")
    assert sandbox.count() == 0


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

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Invalid value 'onprem' for --xray-deployment from .env*"])
    assert "startup.py" not in result.stdout.str()
    assert sandbox.count() == 0


def test_the_environment_as_it_was_at_start_counts(
    pytester: pytest.Pytester, sandbox: Sandbox
) -> None:
    """Read late or not, the settings are those of the run's start, not of a test module
    that changed ``os.environ`` while being collected."""
    write_env_file(pytester, sandbox)
    pytester.makepyfile(
        """
        import os

        os.environ["XRAY_REGION"] = "mars"

        def test_xray(tm_auth):
            assert tm_auth.state("xray").values.source("xray_region").kind == "default"
        """
    )

    run(pytester, "-q").assert_outcomes(passed=1)


# What is checked at start anyway: values no .env file can override


@pytest.mark.parametrize(
    ("variable", "says"),
    [
        ("TM_AUTH_TIMEOUT=ten", "--tm-auth-timeout from env (TM_AUTH_TIMEOUT)"),
        ("XRAY_REGION=mars", "--xray-region from env (XRAY_REGION)"),
        ("JIRA_URL=jira.example.com", "Malformed URL 'jira.example.com' in --jira-url from env"),
        ("TM_AUTH_CA_BUNDLE=/nonexistent/ca.pem", "--tm-auth-ca-bundle from env"),
    ],
)
def test_the_environment_is_checked_at_start(
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

    assert says in the_usage_error(run(pytester, "-q"))


def test_insecure_from_the_command_line_warns_at_start(
    pytester: pytest.Pytester, sandbox: Sandbox
) -> None:
    write_env_file(pytester, sandbox)
    pytester.makepyfile(NEEDS_NOTHING)

    result = run(pytester, "-q", "--tm-auth-insecure")

    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*InsecureTransportWarning: TLS verification is OFF*"])


def test_a_warning_turned_into_an_error_is_one_usage_error_line(
    pytester: pytest.Pytester, sandbox: Sandbox
) -> None:
    write_env_file(pytester, sandbox, "TM_AUTH_INSECURE=1")
    pytester.makepyfile(NEEDS_XRAY)
    pytester.makeini("[pytest]\nfilterwarnings = error\n")

    error = the_usage_error(run(pytester, "-q"))

    assert "TLS verification is OFF (--tm-auth-insecure from .env" in error


# Actions are for one run: never kept in a .env file


@pytest.mark.parametrize(("name", "option"), [("CHECK", "check"), ("RESET", "reset")])
def test_an_action_turned_on_in_an_env_file_is_refused(
    pytester: pytest.Pytester, sandbox: Sandbox, name: str, option: str
) -> None:
    """In ``.env`` it would repeat every run: a check instead of the tests, or no memory."""
    write_env_file(pytester, sandbox, f"TM_AUTH_{name}=1")
    pytester.makepyfile(NEEDS_XRAY)

    error = the_usage_error(run(pytester, "-q"))

    assert error == (
        f"ERROR: TM_AUTH_{name} is turned on in .env, but --tm-auth-{option} is an action for "
        f"one run, not a setting to keep: pass --tm-auth-{option} on the command line instead"
    )


def test_an_action_turned_off_in_an_env_file_is_harmless(
    pytester: pytest.Pytester, sandbox: Sandbox
) -> None:
    write_env_file(pytester, sandbox, "TM_AUTH_CHECK=0", "TM_AUTH_RESET=no")
    pytester.makepyfile(NEEDS_XRAY)

    run(pytester, "-q").assert_outcomes(passed=2)


# Secrets tests can read are hidden before the file is read


@pytest.mark.parametrize("where", ["environment", "ini"])
def test_secrets_a_test_can_read_are_hidden_before_it_is_read(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    write_env_file(pytester, sandbox)
    secret = "fake-zephyr-token-read-by-the-test"
    if where == "environment":
        monkeypatch.setenv("ZEPHYR_TOKEN", secret)
        read = 'os.environ["ZEPHYR_TOKEN"]'
    else:
        pytester.makeini(f"[pytest]\nzephyr_token = {secret}\n")
        read = 'pytestconfig.getini("zephyr_token")'
    pytester.makepyfile(
        f"""
        import os

        def test_prints_the_token(pytestconfig):
            print({read})
            assert {read} == "something else"
        """
    )

    result = run(pytester, "-q", "-rA", "-W", "ignore::pytest_tm_auth.SecretInIniWarning")

    result.assert_outcomes(failed=1)
    assert secret not in result.stdout.str() + result.stderr.str()


def test_secrets_in_the_env_file_are_hidden_when_a_test_reads_it_itself(
    pytester: pytest.Pytester, sandbox: Sandbox
) -> None:
    """A conftest may load the file too: its secrets are learnt before any text is shown,
    and a run whose output holds no text never reads it."""
    write_env_file(pytester, sandbox)
    secret = sandbox.env("cloud")["ZEPHYR_TOKEN"]
    pytester.makepyfile(
        """
        import logging
        from dotenv import dotenv_values

        def test_prints_the_token():
            token = dotenv_values(".env")["ZEPHYR_TOKEN"]
            logging.getLogger("suite").warning("token %s", token)
            print(token)
            assert token == "something else"
        """
    )

    result = run(pytester, "-q", "-rA", "--junitxml=report.xml", "--log-cli-level=INFO")

    result.assert_outcomes(failed=1)
    output = result.stdout.str() + result.stderr.str()
    assert secret not in output + (pytester.path / "report.xml").read_text()
    assert "token ***" in output


# Under xdist and for the check, it is read at start


def test_under_xdist_settings_from_the_env_file_are_shared(
    pytester: pytest.Pytester, sandbox: Sandbox
) -> None:
    write_env_file(pytester, sandbox)
    pytester.makepyfile(
        "\n".join(f"def test_{i}(xray_token):\n    assert xray_token\n" for i in range(4))
    )

    result = pytester.runpytest("-p", "no:cacheprovider", "-q", "-n", "2")

    result.assert_outcomes(passed=4)
    assert sandbox.count("xray.authenticate") == 1


def test_the_check_logs_in_with_settings_from_the_env_file(
    pytester: pytest.Pytester, sandbox: Sandbox
) -> None:
    write_env_file(pytester, sandbox)

    result = run(pytester, "-q", "--tm-auth-check")

    assert result.ret == pytest.ExitCode.OK
    assert sandbox.count("xray.authenticate") == 1


def test_secrets_that_lose_to_the_environment_are_hidden_too(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The environment's token wins; the file's is still readable by a test, so hidden,
    whether the header reads the file at start or a fixture reads it later."""
    write_env_file(pytester, sandbox)
    in_file = sandbox.env("cloud")["ZEPHYR_TOKEN"]
    monkeypatch.setenv("ZEPHYR_TOKEN", "fake-zephyr-token-from-the-environment")
    pytester.makepyfile(
        """
        from dotenv import dotenv_values

        def test_prints_the_files_token(tm_auth):
            token = dotenv_values(".env")["ZEPHYR_TOKEN"]
            print(token)
            assert token == "something else"
        """
    )

    for args in (["-q"], []):
        result = run(pytester, "-rA", *args)

        result.assert_outcomes(failed=1)
        assert in_file not in result.stdout.str() + result.stderr.str(), args


@pytest.mark.parametrize("args", [["--help"], ["--markers"]])
def test_help_never_reads_it(pytester: pytest.Pytester, sandbox: Sandbox, args: list[str]) -> None:
    write_env_file(pytester, sandbox, BAD_LINE)

    assert run(pytester, *args).ret == pytest.ExitCode.OK


def test_a_line_it_cannot_parse_is_reported_once(
    pytester: pytest.Pytester, sandbox: Sandbox
) -> None:
    """python-dotenv logs the line while the file is read for its secrets and settings."""
    write_env_file(pytester, sandbox, "this line is not a setting")
    pytester.makepyfile(NEEDS_XRAY)

    result = run(pytester, "-q", "--log-file=run.log", "--log-file-level=WARNING")

    result.assert_outcomes(passed=2)
    assert (pytester.path / "run.log").read_text().count("could not parse") == 1


def test_a_file_that_is_not_utf8_is_named_with_its_line(
    pytester: pytest.Pytester, sandbox: Sandbox
) -> None:
    write_env_file(pytester, sandbox)
    path = pytester.path / ".env"
    path.write_bytes(path.read_bytes() + b"JIRA_TOKEN=demo-caf\xe9-not-real\n")
    line = path.read_bytes().count(b"\n")
    pytester.makepyfile(NEEDS_XRAY)

    error = the_usage_error(run(pytester))

    assert (
        error
        == f"ERROR: Cannot read {path}:{line}: this line is not UTF-8 text; save the file as UTF-8"
    )
    assert sandbox.count() == 0
