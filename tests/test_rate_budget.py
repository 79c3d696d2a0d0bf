"""One rate budget per service for the whole run: every worker's requests take its permits.

The stand-in limits Xray to 20 requests per 5 s (its window opens at the first request it
sees); the runs are real xdist runs over loopback. Counts and the stand-in's own request
times are asserted, never how long the test process took.
"""

from __future__ import annotations

import pytest

from pytest_tm_auth.sandbox import Sandbox

FIFTY_SIX = """
import pytest

@pytest.mark.parametrize("number", range(56))
def test_graphql(xray_session, number):
    answer = xray_session.post("graphql", json={"query": "{ getTests(limit: 1) { total } }"})
    assert answer.status_code == 200, answer.text
"""


def xray_times(sandbox: Sandbox) -> list[float]:
    """When the stand-in saw each request to Xray (the login included), in order."""
    return sorted(entry.at for entry in sandbox.requests if entry.route.startswith("xray."))


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_inner=FIFTY_SIX)
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "4", *args)


def test_a_set_limit_is_kept_by_four_workers_together(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    cloud_env.limit_rate("xray", requests=20, seconds=5)

    result = run(pytester, "--xray-rate-limit", "20/5")

    result.assert_outcomes(passed=56)
    assert cloud_env.count("xray", status=429) == 0
    assert cloud_env.count("xray.authenticate") == 1
    assert cloud_env.count("xray.graphql", status=200) == 56
    times = xray_times(cloud_env)
    assert len(times) == 57
    assert times[-1] - times[0] >= 10  # 57 requests need three windows of 5 s: two have passed
    for first in times:  # never more than 20 within 5 s of the stand-in's own clock
        assert sum(first <= at < first + 5 for at in times) <= 20
    result.stdout.fnmatch_lines(
        ["xray: authenticated in *, requests waited *.* s in all for the rate budget"]
    )


def test_advertised_headers_are_learned_by_every_worker_together(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    cloud_env.limit_rate("xray", requests=20, seconds=5, advertise=True)

    result = run(pytester)

    result.assert_outcomes(passed=56)
    assert cloud_env.count("xray.graphql", status=200) == 56
    assert cloud_env.count("xray", status=429) <= 6  # a handful, not a burst per worker


def test_refusals_without_retry_after_still_end_with_every_request_answered(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    cloud_env.limit_rate("xray", requests=20, seconds=5, retry_after=False)

    result = run(pytester)

    result.assert_outcomes(passed=56)
    assert cloud_env.count("xray.graphql", status=200) == 56
    assert cloud_env.count("xray", status=429) <= 24  # measured: 11


def test_a_request_that_would_wait_past_the_bound_fails_with_one_line(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile(
        """
        def test_one(xray_session):
            xray_session.post("graphql", json={"query": "{ getTests(limit: 1) { total } }"})
        """
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--xray-rate-limit=1/600")

    result.assert_outcomes(failed=1)
    assert cloud_env.count("xray.authenticate") == 1  # the login took the one permit
    assert cloud_env.count("xray.graphql") == 0
    line = (
        "*xray: a request would wait longer than 60 s for the run's rate budget "
        "(1 request per 600 s): raise --xray-rate-limit if the service allows more, "
        "or make fewer requests"
    )
    result.stdout.fnmatch_lines([line])


@pytest.mark.parametrize("text", ["20", "0/5", "20/0", "twenty/5", "20/5/1"])
def test_a_malformed_limit_is_a_usage_error_naming_its_source(
    pytester: pytest.Pytester, cloud_env: Sandbox, text: str
) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", f"--zephyr-rate-limit={text}")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*Invalid value '{text}' for --zephyr-rate-limit from *N/SECONDS*"]
    )
