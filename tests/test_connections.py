"""A session keeps its connection pool: 200 tests, one login, one TCP connection.

The stand-in numbers every TCP connection it accepts and records which one carried each
request, so "reused" is a count, not a timing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from pytest_tm_auth.sandbox import Sandbox
from pytest_tm_auth.sandbox.server import Deployment
from tests.environment import export

TESTS = 200


def one_request_per_test(path: str, count: int = TESTS) -> str:
    """A test module whose ``count`` tests each send one GET through ``zephyr_session``."""
    return "".join(
        f"def test_{number}(zephyr_session):\n"
        f"    assert zephyr_session.get({path!r}).status_code == 200\n\n"
        for number in range(count)
    )


def connections_of(sandbox: Sandbox, route: str) -> set[int]:
    """The TCP connections that carried requests to ``route``."""
    return {entry.connection for entry in sandbox.requests if entry.route == route}


@dataclass(frozen=True)
class Flavour:
    """A Zephyr Scale deployment: which request the tests send and which route is the login."""

    deployment: Deployment
    request_path: str
    request_route: str
    login_route: str


CLOUD = Flavour("cloud", "testcycles?projectKey=DEMO", "zephyr.testcycles", "zephyr.projects")
DATACENTER = Flavour(
    "datacenter",
    "testcase/search?query=projectKey%20%3D%20DEMO&maxResults=1",
    "zephyrdc.search",
    "zephyrdc.healthcheck",
)


@pytest.mark.parametrize("flavour", [CLOUD, DATACENTER], ids=lambda f: f.deployment)
def test_200_sequential_requests_share_one_connection(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, flavour: Flavour
) -> None:
    export(monkeypatch, sandbox, flavour.deployment)
    pytester.makepyfile(test_inner=one_request_per_test(flavour.request_path))
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(passed=TESTS)
    assert sandbox.count(flavour.request_route, status=200) == TESTS
    assert len(connections_of(sandbox, flavour.request_route)) == 1
    # The login check runs on its own short-lived session: one more connection, no more.
    assert sandbox.count(flavour.login_route) == 1
    assert sandbox.connections == 2


def test_threads_share_the_pool_at_most_one_connection_each(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    """Four threads sending 200 requests through one session open at most four connections."""
    pytester.makepyfile(
        test_inner="""
        from concurrent.futures import ThreadPoolExecutor

        def test_threads(zephyr_session):
            def fetch(_):
                return zephyr_session.get("testcycles").status_code

            with ThreadPoolExecutor(max_workers=4) as pool:
                assert set(pool.map(fetch, range(200))) == {200}
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(passed=1)
    assert cloud_env.count("zephyr.testcycles", status=200) == 200
    assert 1 <= len(connections_of(cloud_env, "zephyr.testcycles")) <= 4
