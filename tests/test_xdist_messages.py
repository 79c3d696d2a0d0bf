"""Under pytest-xdist every message of a login still appears: each warning and summary line.

The worker that logs in for all of them runs the very login path a run without workers
runs, so what that path adds (scrubbed output, the expiry warnings) reaches the
controller; and each summary line is the controller's, also with sharing turned off.
"""

from __future__ import annotations

import pytest

from pytest_tm_auth.sandbox import Fault, Sandbox

DAY = 86400
USES_ZEPHYR = """
import pytest

@pytest.mark.parametrize("number", range(4))
def test_projects(zephyr_session, number):
    assert zephyr_session.get("projects").ok
"""
USES_XRAY = """
import pytest

@pytest.mark.parametrize("number", range(4))
def test_token(xray_token, number):
    assert xray_token
"""


def run_workers(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", *args)


def test_an_expiring_credential_is_warned_about_once_under_xdist(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZEPHYR_TOKEN", cloud_env.issue_zephyr_token(lifetime=5 * DAY + 60))
    pytester.makepyfile(USES_ZEPHYR)

    result = run_workers(pytester)

    result.assert_outcomes(passed=4, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*ExpiringCredentialWarning: Zephyr Scale: the configured token expires * "
            "(in 5 days): make a new one before then",
            "zephyr: authenticated in * s, shared with * worker*",
        ]
    )


def test_an_unknown_token_expiry_is_warned_about_once_under_xdist(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    cloud_env.add_faults(Fault.jwt("1e18"), route="xray.authenticate")
    pytester.makepyfile(USES_XRAY)

    result = run_workers(pytester)

    result.assert_outcomes(passed=4, warnings=1)
    result.stdout.fnmatch_lines(["*TokenExpiryWarning: Xray: the token's expiry is unknown*"])


def test_missing_credentials_that_fail_tests_have_their_line_under_xdist(
    pytester: pytest.Pytester, sandbox: Sandbox
) -> None:
    pytester.makepyfile(USES_XRAY)

    result = run_workers(pytester, "--tm-auth-on-missing=fail")

    result.assert_outcomes(errors=4)
    result.stdout.fnmatch_lines(["xray: failed 4 tests: Xray credentials not set: *"])


@pytest.mark.parametrize(
    ("secret", "line"),
    [
        (None, "xray: authenticated in * s, logged in by each of 2 workers"),
        ("demo-wrong-secret-not-real", "xray: failed: Xray login failed at *401*"),
    ],
)
def test_without_sharing_the_summary_still_has_its_line(
    pytester: pytest.Pytester,
    cloud_env: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    secret: str | None,
    line: str,
) -> None:
    if secret is not None:
        monkeypatch.setenv("XRAY_CLIENT_SECRET", secret)
    pytester.makepyfile(USES_XRAY.replace("range(4)", "range(8)"))

    result = run_workers(pytester, "-p", "no:tm_auth_xdist")

    result.stdout.fnmatch_lines(["*- tm-auth -*", line])


#: A team's hook that prints the token it is given, while the login runs.
PRINTING_CONFTEST = """
import sys


def pytest_tm_auth_authenticated(provider, token):
    print(f"AUTHENTICATED<{token.value}>", file=sys.stderr, flush=True)
"""


def test_what_the_login_for_all_workers_prints_is_scrubbed(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    """``-s``: a worker's standard error reaches the terminal, outside any captured report."""
    pytester.makeconftest(PRINTING_CONFTEST)
    pytester.makepyfile(USES_XRAY)

    result = run_workers(pytester, "-s")

    result.assert_outcomes(passed=4)
    printed = result.stdout.str() + result.stderr.str()
    assert "AUTHENTICATED<***>" in printed
    assert "eyJ" not in printed
    assert cloud_env.count("xray.authenticate") == 1
