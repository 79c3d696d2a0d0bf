"""The stand-in's rate limits, and its count of requests per client, over loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from pytest_tm_auth.sandbox import DEMO, Sandbox

QUERY = {"query": "{ getTests(limit: 1) { total } }"}
LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False
        yield session


def graphql(sandbox: Sandbox, http: requests.Session, token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return http.post(f"{sandbox.url}/api/v2/graphql", json=QUERY, headers=headers)


def test_beyond_the_budget_xray_answers_429_with_retry_after(
    sandbox: Sandbox, http: requests.Session
) -> None:
    sandbox.limit_rate("xray", requests=3, seconds=60)
    token = sandbox.issue_xray_token()
    answers = [graphql(sandbox, http, token) for _ in range(5)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 60
    assert answers[3].json() == {"error": "Rate limit exceeded: 3 requests per 60 seconds."}
    assert not any(name in a.headers for a in answers for name in LIMIT_HEADERS)
    zephyr = {"Authorization": f"Bearer {DEMO.zephyr_token}"}
    assert http.get(f"{sandbox.url}/v2/projects", headers=zephyr).status_code == 200
    assert sandbox.count("xray", status=429) == 2


def test_an_advertised_limit_heads_every_answer_and_may_omit_retry_after(
    sandbox: Sandbox, http: requests.Session
) -> None:
    sandbox.limit_rate("xray", requests=2, seconds=60, advertise=True, retry_after=False)
    token = sandbox.issue_xray_token()
    answers = [graphql(sandbox, http, token) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [a.headers["X-RateLimit-Remaining"] for a in answers] == ["1", "0", "0"]
    assert {a.headers["X-RateLimit-Limit"] for a in answers} == {"2"}
    assert all(1 <= int(a.headers["X-RateLimit-Reset"]) <= 60 for a in answers)
    assert "Retry-After" not in answers[2].headers


def test_a_new_window_opens_a_new_budget(sandbox: Sandbox, http: requests.Session) -> None:
    sandbox.limit_rate("xray.graphql", requests=2, seconds=2)  # 4 requests fit in it, loaded
    token = sandbox.issue_xray_token()
    first = [graphql(sandbox, http, token).status_code for _ in range(4)]
    time.sleep(2.1)
    second = [graphql(sandbox, http, token).status_code for _ in range(3)]
    assert (first, second) == ([200, 200, 429, 429], [200, 200, 429])


def test_a_limit_covers_its_prefix_only_and_reset_lifts_it(
    sandbox: Sandbox, http: requests.Session
) -> None:
    sandbox.limit_rate("jiradc", requests=1, seconds=60)
    url = f"{sandbox.jira_dc_url}/rest/api/2/myself"
    pat = {"Authorization": f"Bearer {DEMO.jira_pat}"}
    assert [http.get(url, headers=pat).status_code for _ in range(2)] == [200, 429]
    atm = f"{sandbox.jira_dc_url}/rest/atm/1.0/healthcheck/"
    assert http.get(atm, headers=pat).status_code == 200  # zephyrdc, not jiradc
    sandbox.reset()
    assert http.get(url, headers=pat).status_code == 200
    with pytest.raises(ValueError, match="no route is named 'xrai'"):
        sandbox.limit_rate("xrai", requests=1, seconds=1)
    with pytest.raises(ValueError, match="at least 1 request"):
        sandbox.limit_rate("xray", requests=0, seconds=1)


def test_requests_are_counted_per_client_without_their_secrets(
    sandbox: Sandbox, http: requests.Session
) -> None:
    tokens = [sandbox.issue_xray_token() for _ in range(2)]
    for token, times in zip(tokens, (3, 1), strict=True):
        for _ in range(times):
            graphql(sandbox, http, token)
    http.get(f"{sandbox.jira_dc_url}/rest/api/2/myself", auth=(DEMO.jira_username, "demo-wrong"))
    http.get(f"{sandbox.url}/v2/healthcheck")
    spent = sandbox.clients()
    by_token = sorted(n for name, n in spent.items() if name.startswith("bearer:"))
    assert by_token == [1, 3]
    assert spent[f"basic:{DEMO.jira_username}"] == 1
    assert spent["anonymous"] == 1
    assert sandbox.clients("xray") == {k: v for k, v in spent.items() if k.startswith("bearer:")}
    assert not any(token[-20:] in name for token in tokens for name in spent)
