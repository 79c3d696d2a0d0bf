"""A provider without credentials skips (or fails) only the tests that need it, offline.

The other providers stay configured against the stand-in, so "no network call" is
measured on a live server rather than on an unreachable one.
"""

from __future__ import annotations

import pytest

from pytest_tm_auth.sandbox import Sandbox

XRAY_AND_JIRA_TESTS = """
import pytest

@pytest.mark.parametrize("n", range(3))
def test_xray(xray_session, n):
    assert False, "never reached: Xray has no credentials"

def test_jira(jira_session):
    assert jira_session.get("myself").status_code == 200

def test_plain():
    assert True
"""

BOTH_CLOUD_VARIABLES = (
    "set XRAY_CLIENT_ID and XRAY_CLIENT_SECRET (--xray-client-id, --xray-client-secret) "
    "for Xray Cloud"
)


@pytest.fixture
def xray_unset(cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """Cloud settings for everything, but no Xray API key."""
    monkeypatch.delenv("XRAY_CLIENT_ID")
    monkeypatch.delenv("XRAY_CLIENT_SECRET")
    return cloud_env


def test_skips_by_default_naming_the_variables(
    pytester: pytest.Pytester, xray_unset: Sandbox
) -> None:
    pytester.makepyfile(XRAY_AND_JIRA_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(passed=2, skipped=3)
    result.stdout.fnmatch_lines(
        [
            f"xray: skipped 3 tests: Xray credentials not set: {BOTH_CLOUD_VARIABLES}",
            f"SKIPPED [[]3[]] *: Xray credentials not set: {BOTH_CLOUD_VARIABLES}",
        ]
    )
    assert xray_unset.count("xray") == 0
    assert xray_unset.count("jira.myself", status=200) == 2


def test_names_only_the_variable_that_is_missing(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XRAY_CLIENT_SECRET")
    pytester.makepyfile("def test_token(xray_token): pass")
    result = pytester.runpytest("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(
        [
            "xray: skipped 1 test: Xray credentials not set: "
            "set XRAY_CLIENT_SECRET (--xray-client-secret) for Xray Cloud"
        ]
    )
    result.stdout.no_fnmatch_line("*set XRAY_CLIENT_ID*")
    assert len(cloud_env.requests) == 0


@pytest.mark.parametrize("through", ["option", "env"])
def test_fails_when_asked_to(
    pytester: pytest.Pytester,
    xray_unset: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    through: str,
) -> None:
    args = ["-p", "no:cacheprovider"]
    if through == "option":
        args.append("--tm-auth-on-missing=fail")
    else:
        monkeypatch.setenv("TM_AUTH_ON_MISSING", "fail")
    pytester.makepyfile(XRAY_AND_JIRA_TESTS)
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=2, errors=3)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_xray[[]0[]]*",
            f"Xray credentials not set: {BOTH_CLOUD_VARIABLES}",
            "*ERROR at setup of test_xray[[]1[]]*",
        ]
    )
    result.stdout.fnmatch_lines(
        [f"xray: failed 3 tests: Xray credentials not set: {BOTH_CLOUD_VARIABLES}"]
    )
    output = result.stdout.str()
    assert "Traceback" not in output
    assert "During handling" not in output
    assert xray_unset.count("xray") == 0


def test_nothing_configured_skips_every_fixture_without_a_connection(
    pytester: pytest.Pytester, sandbox: Sandbox
) -> None:
    pytester.makepyfile(
        """
        def test_xray(xray_token): pass
        def test_zephyr(zephyr_session): pass
        def test_jira(jira_session): pass
        def test_registry(tm_auth): tm_auth.session("zephyr")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(skipped=4)
    result.stdout.fnmatch_lines(
        [
            "xray: skipped 1 test: *XRAY_CLIENT_ID and XRAY_CLIENT_SECRET*",
            "zephyr: skipped 2 tests: *ZEPHYR_TOKEN*",
            "jira: skipped 1 test: *JIRA_URL*",
        ]
    )
    assert sandbox.connections == 0
