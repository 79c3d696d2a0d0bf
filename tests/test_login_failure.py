"""A refused login reaches every test that needs the provider as one short message.

One request is made in total (a 401 is never retried: repeated failed logins can lock a
Jira account), and the message names provider, URL, status, the server's reason and a fix,
with no traceback from the plugin or requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from pytest_tm_auth.sandbox import Fault, Sandbox
from tests.environment import export

WRONG = "wrong-secret-not-real"


@dataclass(frozen=True)
class Refusal:
    """One way to be refused: the environment to start from and what to change in it."""

    deployment: str
    fixture: str
    login_route: str
    expected: str
    changes: dict[str, str | None] = field(default_factory=dict)


REFUSALS = {
    "xray-cloud": Refusal(
        "cloud",
        "xray_session",
        "xray.authenticate",
        "Xray login failed at http://127.0.0.1:*/api/v2/authenticate: HTTP 401: "
        "Authentication failed. Invalid client credentials! — check XRAY_CLIENT_ID and "
        "XRAY_CLIENT_SECRET (an Xray API key)",
        {"XRAY_CLIENT_SECRET": WRONG},
    ),
    "xray-datacenter": Refusal(
        "datacenter",
        "xray_token",
        "jiradc.myself",
        "Xray login failed at http://127.0.0.1:*/jira/rest/api/2/myself: HTTP 401: "
        "Client must be authenticated to access this resource. — check JIRA_TOKEN *",
        {"JIRA_TOKEN": WRONG},
    ),
    "zephyr-cloud": Refusal(
        "cloud",
        "zephyr_session",
        "zephyr.projects",
        "Zephyr Scale login failed at http://127.0.0.1:*/v2/projects: HTTP 401: "
        "Authentication failed: the API access token is not valid. — check ZEPHYR_TOKEN*",
        {"ZEPHYR_TOKEN": WRONG},
    ),
    "zephyr-datacenter": Refusal(
        "datacenter",
        "zephyr_session",
        "zephyrdc.healthcheck",
        "Zephyr Scale login failed at http://127.0.0.1:*/jira/rest/atm/1.0/healthcheck/: "
        "HTTP 401: * — check JIRA_TOKEN *",
        {"JIRA_TOKEN": WRONG},
    ),
    "jira-cloud": Refusal(
        "cloud",
        "jira_session",
        "jira.myself",
        "Jira login failed at http://127.0.0.1:*/rest/api/2/myself: HTTP 401: "
        "Client must be authenticated to access this resource. — check JIRA_USERNAME *",
        {"JIRA_TOKEN": WRONG},
    ),
    "jira-datacenter-pat": Refusal(
        "datacenter",
        "jira_session",
        "jiradc.myself",
        "Jira login failed at http://127.0.0.1:*/jira/rest/api/2/myself: HTTP 401: "
        "Client must be authenticated to access this resource. — check JIRA_TOKEN *",
        {"JIRA_TOKEN": WRONG},
    ),
    "jira-datacenter-password": Refusal(
        "datacenter",
        "jira_session",
        "jiradc.myself",
        "Jira login failed at http://127.0.0.1:*/jira/rest/api/2/myself: HTTP 401: "
        "* — check JIRA_TOKEN (a personal access token) or JIRA_USERNAME and JIRA_PASSWORD*",
        {"JIRA_TOKEN": None, "JIRA_USERNAME": "demo-user", "JIRA_PASSWORD": WRONG},
    ),
}


def configure(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, refusal: Refusal) -> None:
    export(monkeypatch, sandbox, refusal.deployment)  # type: ignore[arg-type]
    for name, change in refusal.changes.items():
        if change is None:
            monkeypatch.delenv(name)
        else:
            monkeypatch.setenv(name, change)


@pytest.mark.parametrize("refusal", REFUSALS.values(), ids=REFUSALS.keys())
def test_every_test_gets_the_same_short_message_from_one_request(
    pytester: pytest.Pytester,
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    refusal: Refusal,
) -> None:
    configure(sandbox, monkeypatch, refusal)
    pytester.makepyfile(
        f"""
        import pytest

        @pytest.mark.parametrize("n", range(3))
        def test_needs_it({refusal.fixture}, n):
            pass

        def test_plain():
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=3)
    for n in range(3):
        result.stdout.fnmatch_lines(
            [f"*ERROR at setup of test_needs_it[[]{n}[]]*", refusal.expected]
        )
    result.stdout.fnmatch_lines(["*: failed: " + refusal.expected])
    output = result.stdout.str()
    assert "Traceback" not in output
    assert "During handling" not in output
    assert "requests/" not in output
    assert "pytest_tm_auth/" not in output
    assert WRONG not in output
    assert sandbox.count(refusal.login_route) == 1
    assert len(sandbox.requests) == 1


def test_jira_captcha_says_to_log_in_through_the_browser(
    pytester: pytest.Pytester, datacenter_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JIRA_TOKEN")
    monkeypatch.setenv("JIRA_USERNAME", "demo-user")
    monkeypatch.setenv("JIRA_PASSWORD", WRONG)
    datacenter_env.captcha = True
    pytester.makepyfile("def test_myself(jira_session): pass")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["Jira login failed at *: HTTP 403: * — Jira asks for a CAPTCHA *log in once through*"]
    )
    assert datacenter_env.count("jiradc.myself", status=403) == 1


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["in-process", "xdist"])
def test_one_refused_jira_account_is_tried_once_for_all_three_providers(
    pytester: pytest.Pytester,
    datacenter_env: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    workers: list[str],
) -> None:
    """Xray, Zephyr Scale and Jira Data Center share one Jira account: each refused try
    counts towards Jira's CAPTCHA lock (3 by default), so one refusal must serve all three."""
    monkeypatch.delenv("JIRA_TOKEN")
    monkeypatch.setenv("JIRA_USERNAME", "demo-user")
    monkeypatch.setenv("JIRA_PASSWORD", WRONG)
    pytester.makepyfile(
        """
        def test_xray(xray_session): pass
        def test_zephyr(zephyr_session): pass
        def test_jira(jira_session): pass
        """
    )
    run = pytester.runpytest_subprocess if workers else pytester.runpytest
    result = run("-p", "no:cacheprovider", *workers)

    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(["*not tried: the same credentials were just refused (HTTP 401*"])
    assert datacenter_env.count(status=401) == 1
    assert datacenter_env.count(status=403) == 0  # no CAPTCHA lock


def test_a_refusal_by_one_service_does_not_block_an_accepted_account(
    pytester: pytest.Pytester, datacenter_env: Sandbox
) -> None:
    """Jira accepted the account; Zephyr Scale then answers 403 (not licensed): Xray still
    logs in, because the account itself was not refused."""
    datacenter_env.add_faults(
        Fault(403, body="Zephyr Scale is not licensed for this user"), route="zephyrdc"
    )
    pytester.makepyfile(
        """
        def test_jira(jira_session): pass
        def test_zephyr(zephyr_session): pass
        def test_xray(xray_session): pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*Zephyr Scale login failed*HTTP 403*not licensed*"])
    result.stdout.no_fnmatch_line("*not tried*")
