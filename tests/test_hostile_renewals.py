"""A service that accepts each token once costs a few logins, not one per request."""

from __future__ import annotations

import pytest

from pytest_tm_auth.core.cache import RENEWAL_LIMIT
from pytest_tm_auth.sandbox import Sandbox

THIRTY_REQUESTS = """
import pytest

@pytest.mark.parametrize("n", range(30))
def test_request(xray_session, n):
    assert xray_session.post("graphql", json={"query": "{}"}).status_code == 200
"""


def test_a_service_that_accepts_each_token_once_costs_a_few_logins_not_one_per_request(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    cloud_env.single_use_tokens = True

    pytester.makepyfile(THIRTY_REQUESTS)
    result = pytester.runpytest("-p", "no:cacheprovider")

    # The first token's one use, then each of RENEWAL_LIMIT renewals buys one more request.
    result.assert_outcomes(passed=1 + RENEWAL_LIMIT, failed=30 - 1 - RENEWAL_LIMIT)
    assert cloud_env.count("xray.authenticate") == 1 + RENEWAL_LIMIT
    result.stdout.fnmatch_lines(
        [
            "*_ test_request[[]4[]] _*",
            "xray: the service keeps refusing fresh tokens: it refused 3 renewed tokens within "
            "10 minutes, so no more logins are made for it for now — *",
            f"xray: authenticated in *, renewed {RENEWAL_LIMIT} times",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_under_xdist_the_renewal_budget_is_the_runs_not_each_workers(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    cloud_env.single_use_tokens = True
    pytester.makepyfile(THIRTY_REQUESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")

    # One login for all, then the run's RENEWAL_LIMIT renewals, whichever worker makes them
    # (the broker's desk holds the budget: tests/unit/test_lease.py shows it refusing, and
    # tests/unit/test_broker.py a worker with renewals of its own left refused all the same).
    assert cloud_env.count("xray.authenticate") == 1 + RENEWAL_LIMIT
    result.assert_outcomes(passed=1 + RENEWAL_LIMIT, failed=30 - 1 - RENEWAL_LIMIT)
    result.stdout.fnmatch_lines(["*xray: the service keeps refusing fresh tokens*"])
    assert "Traceback" not in result.stdout.str()
