"""Tokens are renewed before they lapse, and once after a 401, never in a loop.

Inner tests reach the stand-in through a ``stand_in`` fixture (a plugin object given to
the in-process run), so they can revoke or expire tokens between two of their requests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_tm_auth.core.cache import RENEWAL_LIMIT
from pytest_tm_auth.core.token import RENEW_BEFORE_EXPIRY
from pytest_tm_auth.sandbox import Fault, Sandbox
from tests.environment import export

INVALID_CLIENT = '{"error":"Authentication failed. Invalid client credentials!"}'


class StandIn:
    """Gives the inner run a ``stand_in`` fixture: the outer test's sandbox."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    @pytest.fixture
    def stand_in(self) -> Sandbox:
        return self.sandbox


def run(pytester: pytest.Pytester, sandbox: Sandbox, source: str) -> pytest.RunResult:
    pytester.makepyfile(source)
    return pytester.runpytest("-p", "no:cacheprovider", plugins=[StandIn(sandbox)])


def statuses(sandbox: Sandbox, route: str) -> list[int]:
    return [entry.status for entry in sandbox.requests if entry.route == route]


@pytest.mark.parametrize("lapse", ["revoke_tokens", "expire_tokens"])
def test_a_refused_token_is_renewed_with_one_extra_login_and_the_request_succeeds(
    pytester: pytest.Pytester, cloud_env: Sandbox, lapse: str
) -> None:
    result = run(
        pytester,
        cloud_env,
        f"""
        def test_mid_run(xray_session, stand_in):
            assert xray_session.post("graphql", json={{"query": "{{}}"}}).status_code == 200
            stand_in.{lapse}()
            answer = xray_session.post("graphql", json={{"query": "{{}}"}})
            assert answer.status_code == 200, answer.text
            assert [step.status_code for step in answer.history] == [401]

        def test_later(xray_session):
            assert xray_session.post("graphql", json={{"query": "{{}}"}}).status_code == 200
        """,
    )

    result.assert_outcomes(passed=2)
    assert statuses(cloud_env, "xray.authenticate") == [200, 200]
    assert statuses(cloud_env, "xray.graphql") == [200, 401, 200, 200]
    result.stdout.fnmatch_lines(["xray: authenticated in *, renewed 1 time"])


def test_a_fresh_token_refused_again_is_not_renewed_in_a_loop(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    """Renewal cannot help an endpoint that refuses every token: one try, then give up."""
    refused = Fault(401, body='{"error":"nope"}', content_type="application/json")
    cloud_env.add_faults(refused, refused, refused, route="xray.graphql")

    result = run(
        pytester,
        cloud_env,
        """
        def test_refused(xray_session):
            for _ in range(3):
                answer = xray_session.post("graphql", json={"query": "{}"})
            assert answer.status_code == 200
        """,
    )

    result.assert_outcomes(passed=1)
    # first call: refused, renewed, refused again; second: refused, not renewed; third: ok
    assert statuses(cloud_env, "xray.graphql") == [401, 401, 401, 200]
    assert cloud_env.count("xray.authenticate") == 2


def test_a_failed_renewal_is_not_tried_again(pytester: pytest.Pytester, cloud_env: Sandbox) -> None:
    result = run(
        pytester,
        cloud_env,
        f"""
        from pytest_tm_auth.sandbox import Fault

        def test_renewal_refused(xray_session, stand_in):
            stand_in.revoke_tokens()
            stand_in.add_faults(Fault(401, body={INVALID_CLIENT!r}), route="xray.authenticate")
            for _ in range(3):
                assert xray_session.post("graphql", json={{"query": "{{}}"}}).status_code == 401
        """,
    )

    result.assert_outcomes(passed=1)
    assert statuses(cloud_env, "xray.authenticate") == [200, 401]
    assert statuses(cloud_env, "xray.graphql") == [401, 401, 401]
    result.stdout.fnmatch_lines(["xray: failed: Xray login failed at *: HTTP 401: *"])


def test_concurrent_refusals_renew_once(pytester: pytest.Pytester, cloud_env: Sandbox) -> None:
    result = run(
        pytester,
        cloud_env,
        """
        import threading
        from concurrent.futures import ThreadPoolExecutor

        def test_threads(xray_session, stand_in):
            xray_session.post("graphql", json={"query": "{}"})
            stand_in.revoke_tokens()
            start = threading.Barrier(8)

            def call(_):
                start.wait()
                return xray_session.post("graphql", json={"query": "{}"}).status_code

            with ThreadPoolExecutor(8) as pool:
                assert list(pool.map(call, range(8))) == [200] * 8
        """,
    )

    result.assert_outcomes(passed=1)
    assert cloud_env.count("xray.authenticate") == 2
    assert cloud_env.count("xray.graphql", status=401) >= 1
    assert cloud_env.count("xray.graphql", status=200) == 9


def test_static_credentials_are_never_checked_again_after_a_refusal(
    pytester: pytest.Pytester, datacenter_env: Sandbox
) -> None:
    """A PAT cannot be renewed, and each refused try brings a Jira account closer to a lock."""
    refused = Fault(401, body="{}", content_type="application/json")
    datacenter_env.add_faults(refused, refused, refused, route="xraydc.test")

    result = run(
        pytester,
        datacenter_env,
        """
        def test_refused(xray_session):
            codes = [xray_session.get("api/test").status_code for _ in range(4)]
            assert codes == [401, 401, 401, 200]
        """,
    )

    result.assert_outcomes(passed=1)
    assert datacenter_env.count("jiradc.myself") == 1  # the login only
    assert "renewed" not in result.stdout.str()


@pytest.fixture
def short_lived(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A stand-in whose tokens enter their renewal window one second after being issued."""
    with Sandbox(token_lifetime=RENEW_BEFORE_EXPIRY + 1) as sandbox:
        export(monkeypatch, sandbox, "cloud")
        yield sandbox


@pytest.fixture
def renewing_in_three_seconds(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """Tokens that enter their renewal window three seconds after being issued: a loaded
    machine does not stall that long between two requests."""
    with Sandbox(token_lifetime=RENEW_BEFORE_EXPIRY + 3) as sandbox:
        export(monkeypatch, sandbox, "cloud")
        yield sandbox


def test_a_token_is_renewed_shortly_before_it_expires(
    pytester: pytest.Pytester, renewing_in_three_seconds: Sandbox
) -> None:
    sandbox = renewing_in_three_seconds
    result = run(
        pytester,
        sandbox,
        """
        import time

        def test_across_the_renewal_window(xray_session):
            assert xray_session.post("graphql", json={"query": "{}"}).status_code == 200
            time.sleep(3.05)  # the token now lapses within RENEW_BEFORE_EXPIRY
            assert xray_session.post("graphql", json={"query": "{}"}).status_code == 200
            assert xray_session.post("graphql", json={"query": "{}"}).status_code == 200
        """,
    )

    result.assert_outcomes(passed=1)
    assert statuses(sandbox, "xray.authenticate") == [200, 200]
    assert statuses(sandbox, "xray.graphql") == [200, 200, 200]  # never sent a dying token
    result.stdout.fnmatch_lines(["xray: authenticated in *, renewed 1 time"])


def test_under_xdist_renewals_ahead_of_expiry_spend_no_renewal_budget(
    pytester: pytest.Pytester, short_lived: Sandbox
) -> None:
    """The budget counts tokens a service refused; a token renewed before it lapses was not."""
    pytester.makepyfile(
        f"""
        import time

        def test_across_renewal_windows(xray_session):
            for _ in range({RENEWAL_LIMIT + 2}):
                assert xray_session.post("graphql", json={{"query": "{{}}"}}).status_code == 200
                time.sleep(1.05)  # the token now lapses within RENEW_BEFORE_EXPIRY
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")

    result.assert_outcomes(passed=1)
    # Every sleep crosses a renewal window (a loaded machine may cross one more): no refusal.
    logins = statuses(short_lived, "xray.authenticate")
    assert len(logins) >= RENEWAL_LIMIT + 2
    assert set(logins) == {200}
    assert "keeps refusing" not in result.stdout.str()


def test_a_renewal_that_fails_ends_the_test_with_one_message(
    pytester: pytest.Pytester, short_lived: Sandbox
) -> None:
    result = run(
        pytester,
        short_lived,
        f"""
        import time
        from pytest_tm_auth.sandbox import Fault

        def test_across_the_renewal_window(xray_session, stand_in):
            assert xray_session.post("graphql", json={{"query": "{{}}"}}).status_code == 200
            stand_in.add_faults(Fault(401, body={INVALID_CLIENT!r}), route="xray.authenticate")
            time.sleep(1.05)
            xray_session.post("graphql", json={{"query": "{{}}"}})
        """,
    )

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["Xray login failed at *: HTTP 401: Authentication failed. Invalid client credentials!*"]
    )
    output = result.stdout.str()
    assert "Traceback" not in output
    assert "requests/" not in output
    # A loaded machine may pass the renewal window before the first request too: then one
    # more login, which succeeded; the last one is the one refused.
    logins = statuses(short_lived, "xray.authenticate")
    assert logins[-1] == 401
    assert set(logins[:-1]) == {200}
    assert statuses(short_lived, "xray.graphql") == [200]
