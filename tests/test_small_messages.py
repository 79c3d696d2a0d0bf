"""Small messages that must say exactly what is true: the file ``--debug`` writes, how long
a credential has left, the expiry of an expired token in the check table."""

from __future__ import annotations

import pytest

from pytest_tm_auth.sandbox import Sandbox


@pytest.mark.parametrize(
    ("option", "written"),
    [("--debug", "pytestdebug.log"), ("--debug=trace-of-this-run.log", "trace-of-this-run.log")],
)
def test_the_debug_warning_names_the_file_pytest_writes(
    pytester: pytest.Pytester, cloud_env: Sandbox, option: str, written: str
) -> None:
    pytester.makepyfile("def test_plain(): pass")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist", option)
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [f"*DebugTraceWarning: --debug writes pytest's hook trace to its log file ({written})*"]
    )
    assert (pytester.path / written).exists()
    assert "pytestdebug.log" not in result.stdout.str() or written == "pytestdebug.log"


HOUR = 3600
DAY = 24 * HOUR


def test_the_expiry_warning_counts_the_hours_too(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """4 days 23 hours 30 minutes left: rounded down to the hour, never to 4 days."""
    token = cloud_env.issue_zephyr_token(lifetime=5 * DAY - HOUR // 2)
    monkeypatch.setenv("ZEPHYR_TOKEN", token)
    pytester.makepyfile("def test_a(zephyr_session):\n    assert zephyr_session.get('projects').ok")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*ExpiringCredentialWarning: Zephyr Scale: the configured token expires * "
            "(in 4 days 23 hours): make a new one before then",
        ]
    )


def test_the_check_table_shows_when_an_expired_token_expired(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZEPHYR_TOKEN", cloud_env.issue_zephyr_token(lifetime=-DAY))
    result = pytester.runpytest("-p", "no:cacheprovider", "--tm-auth-check")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["zephyr * failed (HTTP 401) * expired 20*-*-* *:* UTC"])
