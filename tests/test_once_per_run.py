"""One login per provider per run, on first use, and none when no selected test needs it."""

from __future__ import annotations

import pytest

from pytest_tm_auth.sandbox import Sandbox

FIFTY_TESTS = """
import pytest

@pytest.mark.parametrize("n", range(50))
def test_graphql(xray_session, n):
    answer = xray_session.post("graphql", json={"query": "{ getTests(limit: 1) { total } }"})
    assert answer.status_code == 200, answer.text
"""


def test_fifty_tests_share_one_login(pytester: pytest.Pytester, cloud_env: Sandbox) -> None:
    pytester.makepyfile(FIFTY_TESTS)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=50)
    assert cloud_env.count("xray.authenticate") == 1
    assert cloud_env.count("xray.graphql", status=200) == 50


def test_token_and_session_together_log_in_once(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile(
        """
        def test_token_first(xray_token):
            assert xray_token

        def test_session_after(xray_session):
            assert xray_session.post("graphql", json={"query": "{}"}).status_code == 200

        def test_both(xray_token, xray_session, tm_auth):
            assert str(tm_auth.token("xray").value) == str(xray_token)
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)
    assert cloud_env.count("xray.authenticate") == 1


def test_each_provider_logs_in_once_in_a_run_using_all(
    pytester: pytest.Pytester, datacenter_env: Sandbox
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(5))
        def test_all(xray_session, zephyr_session, jira_session, n):
            assert xray_session.get("api/test").status_code == 200
            assert zephyr_session.get("testcase/DEMO-T1").status_code == 200
            assert jira_session.get("myself").status_code == 200
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=5)
    # One login check each: Jira's and Xray's both use /myself, Zephyr its healthcheck.
    assert datacenter_env.count("zephyrdc.healthcheck") == 1
    assert datacenter_env.count("jiradc.myself") == 2 + 5


def test_deselected_tests_make_no_request(pytester: pytest.Pytester, cloud_env: Sandbox) -> None:
    pytester.makepyfile(
        """
        def test_uses_xray(xray_session):
            xray_session.post("graphql", json={"query": "{}"})

        def test_uses_jira(jira_session):
            jira_session.get("myself")

        def test_plain():
            assert True
        """
    )
    pytester.runpytest("-p", "no:cacheprovider", "-k", "plain").assert_outcomes(
        passed=1, deselected=2
    )
    assert cloud_env.requests == []


def test_tests_without_fixtures_make_no_request(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(10))
        def test_plain(n):
            assert n >= 0
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=10)
    result.stdout.fnmatch_lines(["tm-auth: xray cloud http://127.0.0.1:*"])
    assert len(cloud_env.requests) == 0
    assert cloud_env.connections == 0
