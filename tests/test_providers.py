"""Every built-in provider flavour logs in against the stand-in and its fixture works.

Each case runs a real pytest session (pytester, in-process) whose test uses the fixture
over loopback HTTP; the stand-in's records then show which credential scheme arrived.
"""

from __future__ import annotations

import pytest

from pytest_tm_auth.sandbox import DEMO, Sandbox


def run_inner(pytester: pytest.Pytester, source: str, passed: int = 1) -> None:
    """Run ``source`` as a test module and require every test in it to pass."""
    pytester.makepyfile(test_inner=source)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=passed)


def schemes(sandbox: Sandbox, route: str) -> set[str | None]:
    """The Authorization schemes the stand-in saw on ``route``."""
    return {entry.auth for entry in sandbox.requests if entry.route == route}


def use_password(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch the Data Center environment from a PAT to username and password (basic)."""
    monkeypatch.delenv("JIRA_TOKEN")
    monkeypatch.setenv("JIRA_USERNAME", DEMO.jira_username)
    monkeypatch.setenv("JIRA_PASSWORD", DEMO.jira_password)


def test_xray_cloud_token_is_the_jwt_with_a_redacted_repr(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    run_inner(
        pytester,
        """
        def test_token(xray_token):
            assert isinstance(xray_token, str)
            assert str(xray_token).count(".") == 2
            assert str(xray_token).startswith("eyJ")
            assert "eyJ" not in repr(xray_token)
            assert str(xray_token) not in f"{xray_token!r}"
        """,
    )
    assert cloud_env.count("xray.authenticate", status=200) == 1


def test_xray_cloud_session_calls_graphql_and_import(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    run_inner(
        pytester,
        """
        def test_graphql(xray_session):
            answer = xray_session.post("graphql", json={"query": "{ getTests(limit:1) { total } }"})
            assert answer.status_code == 200, answer.text

        def test_import(xray_session):
            answer = xray_session.post(
                "import/execution",
                json={
                    "info": {"summary": "Demo run", "project": "DEMO"},
                    "tests": [{"testKey": "DEMO-1", "status": "PASSED"}],
                },
            )
            assert answer.status_code == 200, answer.text
        """,
        passed=2,
    )
    assert cloud_env.count("xray.authenticate") == 1
    assert cloud_env.count("xray.graphql", status=200) == 1
    assert cloud_env.count("xray.import", status=200) == 1
    assert schemes(cloud_env, "xray.graphql") == {"bearer"}


def test_xray_datacenter_sends_the_pat_as_bearer(
    pytester: pytest.Pytester, datacenter_env: Sandbox
) -> None:
    run_inner(
        pytester,
        """
        def test_tests(xray_session):
            answer = xray_session.get("api/test", params={"keys": "DEMO-1"})
            assert answer.status_code == 200, answer.text
            assert [test["key"] for test in answer.json()] == ["DEMO-1"]

        def test_token_is_the_pat(xray_token):
            assert str(xray_token) == "demo-jira-pat-not-real"
        """,
        passed=2,
    )
    assert datacenter_env.count("jiradc.myself", status=200) == 1
    assert datacenter_env.count("xraydc.test", status=200) == 1
    assert schemes(datacenter_env, "xraydc.test") == {"bearer"}


def test_xray_datacenter_basic_auth_with_username_and_password(
    pytester: pytest.Pytester, datacenter_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_password(monkeypatch)
    run_inner(
        pytester,
        """
        def test_import(xray_session):
            answer = xray_session.post(
                "import/execution", json={"info": {"project": "DEMO"}, "tests": []}
            )
            assert answer.status_code == 200, answer.text
            assert answer.json()["testExecIssue"]["key"] == "DEMO-461"
        """,
    )
    assert datacenter_env.count("jiradc.myself", status=200) == 1
    assert schemes(datacenter_env, "xraydc.import") == {"basic"}
    assert {entry.user for entry in datacenter_env.requests} == {DEMO.jira_username}


def test_zephyr_cloud_session_reads_a_test_case(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    run_inner(
        pytester,
        """
        def test_case(zephyr_session):
            answer = zephyr_session.get("testcases/DEMO-T1")
            assert answer.status_code == 200, answer.text
            assert answer.json()["key"] == "DEMO-T1"
        """,
    )
    assert cloud_env.count("zephyr.projects", status=200) == 1
    assert cloud_env.count("zephyr.testcase", status=200) == 1
    assert schemes(cloud_env, "zephyr.testcase") == {"bearer"}


def test_zephyr_datacenter_session_reads_a_test_case(
    pytester: pytest.Pytester, datacenter_env: Sandbox
) -> None:
    run_inner(
        pytester,
        """
        def test_case(zephyr_session):
            answer = zephyr_session.get("testcase/DEMO-T1")
            assert answer.status_code == 200, answer.text
            assert answer.json()["projectKey"] == "DEMO"
        """,
    )
    assert datacenter_env.count("zephyrdc.healthcheck", status=200) == 1
    assert datacenter_env.count("zephyrdc.testcase", status=200) == 1
    assert schemes(datacenter_env, "zephyrdc.testcase") == {"bearer"}


def test_jira_cloud_uses_email_and_api_token_as_basic(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    run_inner(
        pytester,
        """
        def test_myself(jira_session):
            answer = jira_session.get("myself")
            assert answer.status_code == 200, answer.text
            assert answer.json()["emailAddress"] == "demo.user@example.com"
        """,
    )
    assert cloud_env.count("jira.myself", status=200) == 2  # the login check, then the test
    assert schemes(cloud_env, "jira.myself") == {"basic"}
    assert {entry.user for entry in cloud_env.requests} == {DEMO.jira_email}


@pytest.mark.parametrize(("basic", "scheme"), [(False, "bearer"), (True, "basic")])
def test_jira_datacenter_myself_with_pat_or_password(
    pytester: pytest.Pytester,
    datacenter_env: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    basic: bool,
    scheme: str,
) -> None:
    if basic:
        use_password(monkeypatch)
    run_inner(
        pytester,
        """
        def test_myself(jira_session):
            answer = jira_session.get("myself")
            assert answer.status_code == 200, answer.text
            assert answer.json()["name"] == "demo-user"
            assert answer.headers["X-AUSERNAME"] == "demo-user"
        """,
    )
    assert datacenter_env.count("jiradc.myself", status=200) == 2  # the login check, the test
    assert schemes(datacenter_env, "jiradc.myself") == {scheme}
