"""What a session fixture does with URLs, ``~/.netrc`` and timeouts, seen from the server.

The stand-in records the path and Authorization scheme of every request, so each test
checks where a call really went and with which credentials.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from pytest_tm_auth.sandbox import DEMO, Fault, Sandbox


def proxy_everything_through_a_dead_port(monkeypatch: pytest.MonkeyPatch) -> None:
    """Proxy variables pointing where nothing listens: a proxied request would fail."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)


def paths(sandbox: Sandbox, route: str) -> list[str]:
    return [entry.path for entry in sandbox.requests if entry.route == route]


def test_relative_paths_join_the_api_base(pytester: pytest.Pytester, cloud_env: Sandbox) -> None:
    pytester.makepyfile(
        """
        def test_join(xray_session, zephyr_session, jira_session):
            assert xray_session.post("graphql", json={"query": "{}"}).status_code == 200
            assert zephyr_session.get("testcycles", params={"projectKey": "DEMO"}).ok
            assert jira_session.get("myself").ok
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert paths(cloud_env, "xray.graphql") == ["/api/v2/graphql"]
    assert paths(cloud_env, "zephyr.testcycles") == ["/v2/testcycles"]
    assert paths(cloud_env, "jira.myself") == ["/rest/api/2/myself"] * 2


def test_datacenter_context_path_is_kept_even_with_a_leading_slash(
    pytester: pytest.Pytester, datacenter_env: Sandbox
) -> None:
    pytester.makepyfile(
        """
        def test_context_path(jira_session, zephyr_session, xray_session):
            assert jira_session.get("myself").ok
            assert jira_session.get("/myself").ok
            assert zephyr_session.get("/testcase/DEMO-T1").ok
            assert xray_session.get("/api/test").ok
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert set(paths(datacenter_env, "jiradc.myself")) == {"/jira/rest/api/2/myself"}
    assert paths(datacenter_env, "zephyrdc.testcase") == ["/jira/rest/atm/1.0/testcase/DEMO-T1"]
    assert paths(datacenter_env, "xraydc.test") == ["/jira/rest/raven/2.0/api/test"]
    assert datacenter_env.count("unknown") == 0


def test_absolute_urls_pass_through(pytester: pytest.Pytester, datacenter_env: Sandbox) -> None:
    pytester.makepyfile(
        """
        import os

        def test_absolute(zephyr_session):
            answer = zephyr_session.get(os.environ["JIRA_URL"] + "/rest/raven/1.0/api/test")
            assert answer.status_code == 200, answer.text
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert paths(datacenter_env, "xraydc.test") == ["/jira/rest/raven/1.0/api/test"]


def test_the_token_is_sent_only_to_the_providers_own_host(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    """An absolute URL on another host (here: the same server under another name) gets no token."""
    other_host = cloud_env.url.replace("127.0.0.1", "localhost")
    pytester.makepyfile(
        f"""
        def test_elsewhere(zephyr_session):
            assert zephyr_session.get("{other_host}/v2/projects").status_code == 401
            assert zephyr_session.get("projects").status_code == 200
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    schemes = [entry.auth for entry in cloud_env.requests if entry.route == "zephyr.projects"]
    assert schemes == ["bearer", None, "bearer"]  # login check, elsewhere, own host


def test_netrc_does_not_replace_the_credentials(
    pytester: pytest.Pytester,
    cloud_env: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1\n  login netrc-intruder\n  password netrc-not-real\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(netrc))
    # requests re-reads netrc when following a redirect (logins follow none; calls do).
    redirect = Fault(302, headers={"Location": f"{cloud_env.url}/rest/api/2/myself"})
    cloud_env.add_faults(Fault.slow(0), redirect, route="jira.myself")
    pytester.makepyfile(
        """
        def test_calls(xray_session, zephyr_session, jira_session):
            assert xray_session.post("graphql", json={"query": "{}"}).status_code == 200
            assert zephyr_session.get("testcases/DEMO-T1").status_code == 200
            answer = jira_session.get("myself")
            assert answer.status_code == 200
            assert [step.status_code for step in answer.history] == [302]
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert cloud_env.count("jira.myself", status=302) == 1
    seen = {(entry.route, entry.auth, entry.user) for entry in cloud_env.requests}
    assert "netrc-intruder" not in {user for _, _, user in seen}
    assert seen >= {
        ("xray.graphql", "bearer", DEMO.xray_client_id),
        ("zephyr.testcase", "bearer", "demo-zephyr-client-key-demo-account-id"),
        ("jira.myself", "basic", DEMO.jira_email),
    }
    # The Xray login carries its key in the body; netrc must not add a header to it either.
    assert {auth for route, auth, _ in seen if route == "xray.authenticate"} == {None}


def test_a_redirected_login_is_refused_and_sends_the_key_nowhere(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    """A 307 keeps method and body: following it would post the client secret elsewhere."""
    elsewhere = cloud_env.url.replace("127.0.0.1", "localhost") + "/api/v2/authenticate"
    cloud_env.add_faults(Fault(307, headers={"Location": elsewhere}), route="xray.authenticate")
    pytester.makepyfile("def test_token(xray_token): pass")

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [f"Xray login failed at *: HTTP 307 redirect to {elsewhere} — a login is never sent on*"]
    )
    assert cloud_env.count("xray.authenticate") == 1  # the redirect was not followed


def test_loopback_requests_bypass_proxies_from_the_environment(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain-http credential for this machine must not travel to a proxy (here: none listens)."""
    proxy_everything_through_a_dead_port(monkeypatch)
    pytester.makepyfile(
        """
        def test_direct(jira_session):
            assert jira_session.get("myself").status_code == 200
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert cloud_env.count("jira.myself", status=200) == 2  # the login check and the call


def wait_for_records(sandbox: Sandbox, route: str, expected: int) -> int:
    """Let slow answers finish, so their records do not land in the next test's counts."""
    deadline = time.monotonic() + 10
    while sandbox.count(route) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return sandbox.count(route)


def test_the_run_timeout_applies_to_session_calls(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    cloud_env.add_faults(Fault.slow(1.0), Fault.slow(1.0), route="zephyr.testcase")
    pytester.makepyfile(
        """
        import pytest
        import requests

        def test_default_timeout(zephyr_session):
            with pytest.raises(requests.Timeout):
                zephyr_session.get("testcases/DEMO-T1")

        def test_own_timeout_wins(zephyr_session):
            assert zephyr_session.get("testcases/DEMO-T1", timeout=10).status_code == 200
        """
    )
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--tm-auth-timeout", "0.5", "--tm-auth-retries", "0"
    )
    result.assert_outcomes(passed=2)
    # The first call timed out on the run's 0.5 s; the one with its own timeout got through.
    assert wait_for_records(cloud_env, "zephyr.testcase", 2) == 2
    assert cloud_env.count("zephyr.projects") == 1


def test_a_redirect_to_another_host_drops_the_credentials(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    elsewhere = cloud_env.url.replace("127.0.0.1", "localhost") + "/rest/api/2/myself"
    cloud_env.add_faults(
        Fault.slow(0), Fault(302, headers={"Location": elsewhere}), route="jira.myself"
    )
    pytester.makepyfile(
        """
        def test_redirected(jira_session):
            answer = jira_session.get("myself")
            assert [step.status_code for step in answer.history] == [302]
            assert answer.status_code == 401
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert [(entry.status, entry.auth) for entry in cloud_env.requests] == [
        (200, "basic"),  # the login check
        (302, "basic"),  # the call, sent to the configured host
        (401, None),  # the redirect to another host, without credentials
    ]


def test_a_redirect_on_loopback_still_bypasses_proxies(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests re-reads proxies from the environment for each redirect; ours must not."""
    proxy_everything_through_a_dead_port(monkeypatch)
    redirect = Fault(302, headers={"Location": f"{cloud_env.url}/rest/api/2/myself"})
    cloud_env.add_faults(Fault.slow(0), redirect, route="jira.myself")
    pytester.makepyfile(
        """
        def test_redirected(jira_session):
            answer = jira_session.get("myself")
            assert answer.status_code == 200
            assert [step.status_code for step in answer.history] == [302]
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_login_answered_3xx_without_location_is_refused(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    cloud_env.add_faults(Fault(302, body="{}"), route="jira.myself")
    pytester.makepyfile("def test_jira(jira_session): pass")

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*Jira login failed*HTTP 302 redirect to no address (no Location)*"]
    )
