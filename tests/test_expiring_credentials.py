"""Credentials that expire: a Zephyr Scale Cloud JWT's exp, said before and after."""

from __future__ import annotations

import pytest

from pytest_tm_auth.sandbox import Sandbox

DAY = 86400


def test_a_zephyr_token_expiring_within_14_days_is_warned_about(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZEPHYR_TOKEN", cloud_env.issue_zephyr_token(lifetime=5 * DAY + 60))
    pytester.makepyfile("def test_a(zephyr_session):\n    assert zephyr_session.get('projects').ok")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "tm-auth: zephyr cloud * (token from env, token expires 20*-* UTC)",
            "*ExpiringCredentialWarning: Zephyr Scale: the configured token expires * "
            "(in 5 days): make a new one before then",
        ]
    )


def test_under_w_error_an_expiring_zephyr_token_fails_its_login_in_one_line(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZEPHYR_TOKEN", cloud_env.issue_zephyr_token(lifetime=5 * DAY + 60))
    pytester.makepyfile("def test_a(zephyr_session):\n    assert zephyr_session.get('projects').ok")
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*Zephyr Scale: the configured token expires * (in 5 days): make a new one before "
            "then; -W error made this ExpiringCredentialWarning an error, so the login failed "
            "— add -W default::pytest_tm_auth.ExpiringCredentialWarning after it to use the token"
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_a_long_lived_zephyr_token_is_not_warned_about(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile("def test_a(zephyr_session):\n    assert zephyr_session.get('projects').ok")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "expires" not in result.stdout.str()


@pytest.mark.filterwarnings(
    "ignore::pytest_tm_auth.ExpiringCredentialWarning"
)  # no test to hold it
def test_the_check_table_says_when_it_expires(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZEPHYR_TOKEN", cloud_env.issue_zephyr_token(lifetime=3 * DAY))
    result = pytester.runpytest("-p", "no:cacheprovider", "--tm-auth-check")
    result.stdout.fnmatch_lines(["zephyr * ok * 20*-*-* *:* UTC"])


def test_a_401_after_exp_says_the_token_expired(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZEPHYR_TOKEN", cloud_env.issue_zephyr_token(lifetime=-DAY))
    pytester.makepyfile("def test_a(zephyr_session): pass")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "tm-auth: zephyr cloud * (token from env, token expired 20*)",
            "Zephyr Scale login failed at *: HTTP 401: * — ZEPHYR_TOKEN expired on 20*-*-* *:* "
            "UTC: generate a new API access token in Jira*",
        ]
    )
    assert cloud_env.count("zephyr.projects") == 1
