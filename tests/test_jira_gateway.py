"""Scoped API tokens through Atlassian's API gateway: found on a 401, or set by cloud id."""

from __future__ import annotations

import pytest

from pytest_tm_auth.sandbox import Sandbox
from pytest_tm_auth.sandbox.demo import DEMO
from tests.environment import export

FIVE_JIRA_TESTS = """
import pytest

@pytest.mark.parametrize("n", range(5))
def test_myself(jira_session, n):
    answer = jira_session.get("myself")
    assert answer.status_code == 200, answer.text
    assert "/gateway/ex/jira/" in answer.url
"""


@pytest.fixture
def scoped_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """Only JIRA_URL, JIRA_USERNAME, JIRA_TOKEN (a scoped token), and the stand-in's gateway."""
    export(monkeypatch, sandbox, "cloud-scoped")
    return sandbox


def test_a_scoped_token_needs_no_configuration(
    pytester: pytest.Pytester, scoped_env: Sandbox
) -> None:
    pytester.makepyfile(FIVE_JIRA_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["jira: authenticated in * s via gateway*"])
    # The site refuses it once, tenant_info once, the gateway's /myself checks it once,
    # then five tests through the gateway.
    assert scoped_env.count("jira.myself") == 1
    assert scoped_env.count("jira.myself", status=401) == 1
    assert scoped_env.count("jira.tenant_info") == 1
    assert scoped_env.count("gateway.myself", status=200) == 1 + 5
    assert len(scoped_env.requests) == 1 + 1 + 1 + 5


def test_a_classic_token_makes_no_extra_request(
    pytester: pytest.Pytester, scoped_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_TOKEN", DEMO.jira_api_token)
    pytester.makepyfile("def test_myself(jira_session):\n    assert jira_session.get('myself').ok")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "via gateway" not in result.stdout.str()
    assert scoped_env.count("jira.myself", status=200) == 2
    assert scoped_env.count("jira.tenant_info") == 0
    assert scoped_env.count("gateway") == 0


def test_a_cloud_id_means_the_gateway_directly(
    pytester: pytest.Pytester, scoped_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_CLOUD_ID", DEMO.jira_cloud_id)
    pytester.makepyfile(FIVE_JIRA_TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(
        [
            "tm-auth: jira cloud via gateway http://127.0.0.1:*",
            "jira: authenticated * via gateway*",
        ]
    )
    assert scoped_env.count("jira.myself") == 0
    assert scoped_env.count("jira.tenant_info") == 0
    assert scoped_env.count("gateway.myself", status=200) == 1 + 5


def test_the_gateway_found_by_the_controller_serves_the_workers(
    pytester: pytest.Pytester, scoped_env: Sandbox
) -> None:
    pytester.makepyfile(FIVE_JIRA_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=5)
    assert scoped_env.count("jira.myself") == 1
    assert scoped_env.count("jira.tenant_info") == 1
    assert scoped_env.count("gateway.myself", status=200) == 1 + 5


def test_a_token_refused_everywhere_may_have_expired(
    pytester: pytest.Pytester, scoped_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_TOKEN", "demo-expired-api-token-not-real")
    pytester.makepyfile("def test_a(jira_session): pass\ndef test_b(jira_session): pass")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "Jira login failed at */rest/api/2/myself: HTTP 401: * through the API gateway too "
            "(HTTP 401: *) — check JIRA_USERNAME * it may have expired; create a new one at "
            "https://id.atlassian.com/manage-profile/security/api-tokens"
        ]
    )
    # at most two extra requests, once for the run
    assert scoped_env.count("jira.myself") == 1
    assert scoped_env.count("jira.tenant_info") == 1
    assert scoped_env.count("gateway.myself") == 1
    assert "demo-expired-api-token-not-real" not in result.stdout.str()


def test_no_cloud_id_from_tenant_info_says_so(
    pytester: pytest.Pytester, scoped_env: Sandbox
) -> None:
    from pytest_tm_auth.sandbox import Fault

    scoped_env.add_faults(Fault(404, body="Not Found"), route="jira.tenant_info")
    pytester.makepyfile("def test_a(jira_session): pass")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*HTTP 401: *; the API gateway was not tried (*/_edge/tenant_info answered HTTP 404 "
            "without a cloudId*"
        ]
    )
    assert scoped_env.count("gateway") == 0


def test_a_site_elsewhere_never_tries_atlassians_gateway(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loopback site with the default gateway: a refused token is simply refused."""
    monkeypatch.setenv("JIRA_TOKEN", DEMO.jira_scoped_token)
    pytester.makepyfile("def test_a(jira_session): pass")
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(errors=1)
    assert len(cloud_env.requests) == 1
