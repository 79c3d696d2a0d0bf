"""OAuth 2.0 client credentials: Cloud service accounts, and Data Center's OAuth clients."""

from __future__ import annotations

import pytest

from pytest_tm_auth.sandbox import Sandbox
from pytest_tm_auth.sandbox.demo import DEMO
from tests.environment import export

FIFTY_JIRA_TESTS = """
import pytest

@pytest.mark.parametrize("n", range(50))
def test_myself(jira_session, n):
    answer = jira_session.get("myself")
    assert answer.status_code == 200, answer.text
    assert "/gateway/ex/jira/" in answer.url
    assert answer.request.headers["Authorization"].startswith("Bearer ")
"""


@pytest.fixture
def service_account_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    export(monkeypatch, sandbox, "cloud-oauth")
    return sandbox


@pytest.fixture
def datacenter_oauth_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    export(monkeypatch, sandbox, "datacenter-oauth")
    return sandbox


def test_a_service_account_logs_in_once_for_fifty_tests(
    pytester: pytest.Pytester, service_account_env: Sandbox
) -> None:
    pytester.makepyfile(FIFTY_JIRA_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=50)
    result.stdout.fnmatch_lines(["jira: authenticated in * s via gateway (expires *"])
    assert service_account_env.count("oauth.token", status=200) == 1
    assert service_account_env.count("jira.tenant_info") == 1
    assert service_account_env.count("gateway.myself", status=200) == 1 + 50
    assert service_account_env.count("jira.myself") == 0  # the site never sees the token
    assert len(service_account_env.requests) == 1 + 1 + 1 + 50


def test_a_service_account_with_a_cloud_id_asks_no_tenant_info(
    pytester: pytest.Pytester, service_account_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_CLOUD_ID", DEMO.jira_cloud_id)
    pytester.makepyfile(FIFTY_JIRA_TESTS)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=50)
    assert service_account_env.count("oauth.token") == 1
    assert service_account_env.count("jira.tenant_info") == 0
    assert len(service_account_env.requests) == 1 + 1 + 50


def test_a_short_lived_access_token_is_renewed_before_it_lapses(
    pytester: pytest.Pytester, service_account_env: Sandbox
) -> None:
    service_account_env.oauth_lifetime = 62  # renewed 60 s before it lapses: after 2 s
    pytester.makepyfile(
        """
        import time

        def test_first(jira_session):
            assert jira_session.get("myself").status_code == 200

        def test_later(jira_session):
            time.sleep(2.5)
            assert jira_session.get("myself").status_code == 200
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["jira: authenticated * renewed 1 time"])
    assert service_account_env.count("oauth.token", status=200) == 2
    assert service_account_env.count("gateway.myself", status=401) == 0


def test_a_wrong_client_secret_is_one_line_quoting_the_endpoint(
    pytester: pytest.Pytester, service_account_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "demo-wrong-client-secret-not-real"
    monkeypatch.setenv("JIRA_CLIENT_SECRET", wrong)
    pytester.makepyfile("def test_a(jira_session): pass\ndef test_b(jira_session): pass")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "Jira login failed at http://127.0.0.1:*/oauth/token: HTTP 401: the token endpoint "
            "answered access_denied: Unauthorized — check JIRA_CLIENT_ID and JIRA_CLIENT_SECRET*"
        ]
    )
    assert service_account_env.count("oauth.token") == 1
    assert len(service_account_env.requests) == 1
    assert wrong not in result.stdout.str() + result.stderr.str()


def test_a_body_the_endpoint_does_not_take_fails_loudly(
    pytester: pytest.Pytester, service_account_env: Sandbox
) -> None:
    """Should Atlassian's endpoint want another body, the run says what it answered."""
    from pytest_tm_auth.sandbox import Fault

    said = '{"error":"invalid_request","error_description":"audience is not supported"}'
    fault = Fault(400, body=said, content_type="application/json")
    service_account_env.add_faults(fault, route="oauth.token")
    pytester.makepyfile("def test_a(jira_session): pass")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*HTTP 400: the token endpoint answered invalid_request: audience is not supported — "
            "the token endpoint refused the request itself*"
        ]
    )


DATACENTER_ALL_THREE = """
import pytest

@pytest.mark.parametrize("n", range(5))
def test_all(xray_session, zephyr_session, jira_session, n):
    for session, path in ((xray_session, "api/test"), (zephyr_session, "testcase/DEMO-T1"),
                          (jira_session, "myself")):
        answer = session.get(path)
        assert answer.status_code == 200, answer.text
        assert answer.request.headers["Authorization"].startswith("Bearer ")
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["in-process", "xdist"])
def test_datacenter_client_credentials_one_token_for_xray_zephyr_and_jira(
    pytester: pytest.Pytester, datacenter_oauth_env: Sandbox, workers: list[str]
) -> None:
    pytester.makepyfile(DATACENTER_ALL_THREE)
    run = pytester.runpytest_subprocess if workers else pytester.runpytest
    run("-p", "no:cacheprovider", *workers).assert_outcomes(passed=5)
    assert datacenter_oauth_env.count("jiradc.oauth", status=200) == 1
    # each provider's own check: Jira's and Xray's /myself, Zephyr's healthcheck
    assert datacenter_oauth_env.count("jiradc.myself", status=200) == 2 + 5
    assert datacenter_oauth_env.count("zephyrdc.healthcheck", status=200) == 1
    assert datacenter_oauth_env.count("jiradc.oauth") == 1


def test_a_wrong_datacenter_client_secret_is_tried_once_for_all_three(
    pytester: pytest.Pytester, datacenter_oauth_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_CLIENT_SECRET", "demo-wrong-dc-secret-not-real")
    pytester.makepyfile(DATACENTER_ALL_THREE)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=5)
    result.stdout.fnmatch_lines(
        [
            "*/jira/rest/oauth2/latest/token: HTTP 401: the token endpoint answered "
            "invalid_client: Client authentication failed — check JIRA_CLIENT_ID and "
            "JIRA_CLIENT_SECRET*"
        ]
    )
    assert len(datacenter_oauth_env.requests) == 1


def test_the_flows_variables_are_printed(sandbox: Sandbox) -> None:
    for flow in ("cloud-scoped", "cloud-oauth", "datacenter-oauth"):
        env = sandbox.env(flow)
        assert env["JIRA_URL"].startswith(sandbox.url)
        for name in ("JIRA_GATEWAY_URL", "JIRA_OAUTH_URL"):
            assert not env.get(name) or env[name].startswith(sandbox.url)


class Revoker:
    """A plugin for the in-process run: its ``revoke`` fixture revokes every issued token."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    @pytest.fixture
    def revoke(self) -> None:
        self.sandbox.revoke_tokens()


def test_a_refused_access_token_is_replaced_once_for_the_run(
    pytester: pytest.Pytester, datacenter_oauth_env: Sandbox
) -> None:
    """A 401 mid-run (the token revoked): one new token request, the request sent again."""
    pytester.makepyfile(
        """
        def test_first(jira_session, zephyr_session):
            assert jira_session.get("myself").status_code == 200

        def test_after_revocation(jira_session, zephyr_session, revoke):
            assert jira_session.get("myself").status_code == 200
            assert zephyr_session.get("testcase/DEMO-T1").status_code == 200
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", plugins=[Revoker(datacenter_oauth_env)])
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["jira: authenticated * renewed 1 time"])
    # the first login, then Jira's renewal after its 401; Zephyr Scale's 401 then gets the
    # token Jira's renewal fetched
    assert datacenter_oauth_env.count("jiradc.oauth", status=200) == 2
    assert datacenter_oauth_env.count("zephyrdc.testcase", status=200) == 1
