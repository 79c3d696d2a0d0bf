"""Transient faults are retried with bounded pauses; refusals are never retried.

The stand-in answers the next requests with scripted faults; its records show how many
requests arrived, and the terminal summary (or the error) says what the retries did, so
each test asserts the retry history instead of timing it.
"""

from __future__ import annotations

import socket
import time

import pytest
from urllib3 import HTTPResponse

from pytest_tm_auth.http.bounded import MAX_RETRY_AFTER, MAX_TOTAL_WAIT, BoundedRetry
from pytest_tm_auth.sandbox import Fault, Sandbox

LOGIN = "def test_login(xray_token):\n    assert xray_token\n"
INVALID_CLIENT = '{"error":"Authentication failed. Invalid client credentials!"}'


def statuses(sandbox: Sandbox, route: str) -> list[int]:
    return [entry.status for entry in sandbox.requests if entry.route == route]


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(source)
    return pytester.runpytest("-p", "no:cacheprovider", *args)


def test_429_with_retry_after_waits_as_asked_then_logs_in(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    cloud_env.add_faults(Fault.retry_after(1), route="xray.authenticate")

    result = run(pytester, LOGIN)

    result.assert_outcomes(passed=1)
    assert statuses(cloud_env, "xray.authenticate") == [429, 200]
    result.stdout.fnmatch_lines(
        ["xray: authenticated in * s (*), retried once (HTTP 429), waited 1.0 s as Retry-After*"]
    )
    # A lower bound only: the pause is a sleep, so the second attempt cannot come sooner.
    first, second = (e.at for e in cloud_env.requests if e.route == "xray.authenticate")
    assert second - first >= 1.0


def test_503_twice_then_200_logs_in_with_backoff(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    cloud_env.add_faults(Fault(503), Fault(503), route="xray.authenticate")

    result = run(pytester, LOGIN)

    result.assert_outcomes(passed=1)
    assert statuses(cloud_env, "xray.authenticate") == [503, 503, 200]
    # urllib3's backoff: no pause after the first fault, 0.5 * 2 s after the second.
    result.stdout.fnmatch_lines(["xray: *, retried 2 times (HTTP 503, HTTP 503), waited 1.0 s"])


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        pytest.param(Fault(502), "HTTP 502", id="502"),
        pytest.param(Fault(504), "HTTP 504", id="504"),
        pytest.param(Fault(429, body="Too Many Requests"), "HTTP 429", id="429-no-retry-after"),
        pytest.param(Fault.dropped(), "connection dropped", id="connection-reset"),
    ],
)
def test_the_login_post_is_retried_after_a_transient_fault(
    pytester: pytest.Pytester, cloud_env: Sandbox, fault: Fault, cause: str
) -> None:
    cloud_env.add_faults(fault, route="xray.authenticate")

    result = run(pytester, LOGIN)

    result.assert_outcomes(passed=1)
    assert cloud_env.count("xray.authenticate") == 2
    assert cloud_env.count("xray.authenticate", status=200) == 1
    result.stdout.fnmatch_lines([f"xray: *, retried once ({cause})*"])  # a 429: + the budget's wait


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_login_is_one_request_however_many_tests_need_it(
    pytester: pytest.Pytester, cloud_env: Sandbox, status: int
) -> None:
    """Repeated failed logins can lock a Jira account or trip a CAPTCHA: never retried."""
    refusal = Fault(status, body=INVALID_CLIENT, content_type="application/json")
    cloud_env.add_faults(refusal, refusal, refusal, route="xray.authenticate")
    source = "import pytest\n\n@pytest.mark.parametrize('n', range(3))\n" + LOGIN.replace(
        "(xray_token)", "(xray_token, n)"
    )

    result = run(pytester, source, "--tm-auth-retries=5")

    result.assert_outcomes(errors=3)
    assert statuses(cloud_env, "xray.authenticate") == [status]
    result.stdout.fnmatch_lines([f"*Xray login failed at *: HTTP {status}: Authentication failed*"])
    assert "attempts" not in result.stdout.str()


def test_giving_up_says_how_many_attempts_and_how_long_it_waited(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    cloud_env.add_faults(*[Fault(503, body="Service Unavailable")] * 3, route="xray.authenticate")

    result = run(pytester, LOGIN, "--tm-auth-retries=2")

    result.assert_outcomes(errors=1)
    assert statuses(cloud_env, "xray.authenticate") == [503, 503, 503]
    result.stdout.fnmatch_lines(
        [
            "Xray login failed at *: HTTP 503 after 3 attempts, waited 1.0 s: Service Unavailable"
            " — the service is rate-limiting or unavailable; try again later or raise "
            "--tm-auth-retries"
        ]
    )


def test_no_retries_when_set_to_zero(pytester: pytest.Pytester, cloud_env: Sandbox) -> None:
    cloud_env.add_faults(Fault(503), route="xray.authenticate")

    result = run(pytester, LOGIN, "--tm-auth-retries=0")

    result.assert_outcomes(errors=1)
    assert cloud_env.count("xray.authenticate") == 1
    result.stdout.fnmatch_lines(["Xray login failed at *: HTTP 503 — *"])


def test_a_refused_connection_is_retried_then_named(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("XRAY_CLIENT_ID", "demo-xray-client-id")
    monkeypatch.setenv("XRAY_CLIENT_SECRET", "demo-xray-client-secret-not-real")
    monkeypatch.setenv("XRAY_URL", f"http://127.0.0.1:{port}")

    result = run(pytester, LOGIN, "--tm-auth-retries=1")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"Xray login failed at http://127.0.0.1:{port}/api/v2/authenticate: connection "
            "refused after 2 attempts — nothing listens at this host and port: *"
        ]
    )


def test_a_read_timeout_is_not_retried(pytester: pytest.Pytester, cloud_env: Sandbox) -> None:
    """The server may still be working on it; a retry would only double the wait."""
    cloud_env.add_faults(Fault.slow(0.6), route="xray.authenticate")

    result = run(pytester, LOGIN, "--tm-auth-timeout=0.2")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "Xray login failed at *: the service answered too slowly: no whole answer within"
            " 0.2 s — *"
        ]
    )
    deadline = time.monotonic() + 10  # the slow answer is recorded once its delay is over
    while cloud_env.count("xray.authenticate") < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cloud_env.count("xray.authenticate") == 1


def test_session_calls_retry_idempotent_methods_and_rate_limits_only(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    """A GET is resent after a 503; a POST is not (it may have been processed), except
    after a 429, which says it was not."""
    cloud_env.add_faults(Fault(503), route="zephyr.testcase")
    cloud_env.add_faults(Fault(503), Fault.retry_after(0), route="xray.graphql")

    result = run(
        pytester,
        """
        def test_calls(xray_session, zephyr_session):
            assert zephyr_session.get("testcases/DEMO-T1").status_code == 200
            assert xray_session.post("graphql", json={"query": "{}"}).status_code == 503
            assert xray_session.post("graphql", json={"query": "{}"}).status_code == 200
        """,
    )

    result.assert_outcomes(passed=1)
    assert statuses(cloud_env, "zephyr.testcase") == [503, 200]
    assert statuses(cloud_env, "xray.graphql") == [503, 429, 200]


def rate_limited(seconds: str) -> HTTPResponse:
    return HTTPResponse(body=b"", headers={"Retry-After": seconds}, status=429)


def test_retry_after_is_capped() -> None:
    retry = BoundedRetry(total=3)

    assert retry.get_retry_after(rate_limited("3600")) == MAX_RETRY_AFTER
    assert retry.get_retry_after(rate_limited("2")) == 2


def test_all_pauses_of_one_request_stay_within_the_total_budget() -> None:
    nearly_spent = BoundedRetry(total=3, waited=MAX_TOTAL_WAIT - 0.01)

    nearly_spent.sleep(rate_limited("20"))  # sleeps what is left of the budget: 0.01 s

    assert nearly_spent.waited == pytest.approx(MAX_TOTAL_WAIT)
    assert nearly_spent.is_exhausted()
    assert not BoundedRetry(total=3, waited=MAX_TOTAL_WAIT - 1).is_exhausted()
