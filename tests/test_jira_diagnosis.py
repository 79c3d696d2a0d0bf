"""Jira's refusals, worded for what they are: CAPTCHA, Seraph, rate limits, a Cloud site."""

from __future__ import annotations

import pytest

from pytest_tm_auth.sandbox import Fault, Sandbox
from pytest_tm_auth.sandbox.demo import DEMO

WRONG = "demo-wrong-password-not-real"


def test_a_captcha_names_the_login_url(
    pytester: pytest.Pytester, datacenter_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JIRA_TOKEN")
    monkeypatch.setenv("JIRA_USERNAME", DEMO.jira_username)
    monkeypatch.setenv("JIRA_PASSWORD", WRONG)
    datacenter_env.captcha = True
    pytester.makepyfile("def test_myself(jira_session): pass")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "Jira login failed at *: HTTP 403: * — Jira asks for a CAPTCHA after failed logins: "
            f"log in once through the browser at {datacenter_env.url}/jira/login.jsp as this "
            "user, then run again"
        ]
    )
    assert datacenter_env.count("jiradc.myself") == 1


def test_several_seraph_values_are_read_one_by_one(
    pytester: pytest.Pytester, datacenter_env: Sandbox
) -> None:
    seraph = {"X-Seraph-LoginReason": "OUT, AUTHENTICATION_DENIED"}
    datacenter_env.add_faults(Fault(401, headers=seraph, body="denied"), route="jiradc.myself")
    pytester.makepyfile("def test_myself(jira_session): pass")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*HTTP 401: denied — Jira asks for a CAPTCHA after failed*"])


def test_datacenter_rate_limiting_is_not_called_a_login_page(
    pytester: pytest.Pytester, datacenter_env: Sandbox
) -> None:
    datacenter_env.add_faults(Fault.rate_limited(), route="jiradc.myself")
    pytester.makepyfile("def test_myself(jira_session): pass")
    result = pytester.runpytest("-p", "no:cacheprovider", "--tm-auth-retries=0")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "Jira login failed at *: HTTP 429: an HTML page titled 'HTTP Status 429 - Too Many "
            "Requests' — Jira is rate-limiting this account (HTTP 429, X-RateLimit-Limit 100): "
            "wait and run again*"
        ]
    )
    assert "login page" not in result.stdout.str()


def test_a_cloud_site_taken_for_a_datacenter_says_so(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An e-mail on a site that is not *.atlassian.net: auto says Data Center; the refusal
    asks serverInfo once, which says Cloud."""
    monkeypatch.setenv("JIRA_URL", sandbox.url)
    monkeypatch.setenv("JIRA_USERNAME", DEMO.jira_email)
    monkeypatch.setenv("JIRA_PASSWORD", WRONG)
    pytester.makepyfile("def test_a(jira_session): pass\ndef test_b(jira_session): pass")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "Jira login failed at *: HTTP 401: * — this is a Jira Cloud site: set "
            "--jira-deployment=cloud"
        ]
    )
    assert "use Cloud credentials instead" not in result.stdout.str()
    assert sandbox.count("jira.serverinfo") == 1
    assert sandbox.count("jira.myself") == 1


def test_a_real_datacenter_keeps_its_advice(
    pytester: pytest.Pytester, datacenter_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JIRA_TOKEN")
    monkeypatch.setenv("JIRA_USERNAME", DEMO.jira_email)
    monkeypatch.setenv("JIRA_PASSWORD", WRONG)
    pytester.makepyfile("def test_a(jira_session): pass")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*use Cloud credentials instead"])
    assert datacenter_env.count("jiradc.serverinfo") == 1


def test_a_cloud_site_s_advice_keeps_the_account_refused(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CAPTCHA (403) on a site that turns out to be Cloud: the refusal gains the Cloud
    advice, and keeps the mark that the account was refused, so Xray does not try it again
    (each refused try brings the account closer to Jira's lock)."""
    monkeypatch.setenv("JIRA_URL", sandbox.url)
    monkeypatch.setenv("JIRA_USERNAME", DEMO.jira_email)
    monkeypatch.setenv("JIRA_PASSWORD", WRONG)
    captcha = Fault(403, headers={"X-Authentication-Denied-Reason": "CAPTCHA_CHALLENGE"})
    sandbox.add_faults(captcha, captcha, route="jira.myself")
    pytester.makepyfile("def test_jira(jira_session): pass\ndef test_xray(xray_session): pass")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "Jira login failed at *: HTTP 403* — this is a Jira Cloud site: set "
            "--jira-deployment=cloud",
            "*not tried: the same credentials were just refused (HTTP 403*",
        ]
    )
    assert sandbox.count("jira.myself") == 1
