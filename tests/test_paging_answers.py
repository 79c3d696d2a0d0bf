"""What the stand-in's lists answer to bad or hostile paging: the vendor's answer, never a 500.

Over real loopback HTTP with requests. A refused value gets a 400 with a JSON message in
the service's own error shape; a page larger than the vendor allows is clamped where the
vendor clamps. Random text in every paging parameter never gets a traceback (500).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_tm_auth.sandbox import DEMO, Sandbox


@pytest.fixture(scope="module")
def server() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False
        yield session


@pytest.fixture(scope="module")
def xray_bearer(server: Sandbox, http: requests.Session) -> dict[str, str]:
    credentials = {"client_id": DEMO.xray_client_id, "client_secret": DEMO.xray_client_secret}
    token = http.post(f"{server.url}/api/v2/authenticate", json=credentials).json()
    return {"Authorization": f"Bearer {token}"}


ZEPHYR = {"Authorization": f"Bearer {DEMO.zephyr_token}"}
PAT = {"Authorization": f"Bearer {DEMO.jira_pat}"}
JIRA_CLOUD = (DEMO.jira_email, DEMO.jira_api_token)


def zephyr_cloud(http: requests.Session, server: Sandbox, **params: Any) -> requests.Response:
    return http.get(f"{server.url}/v2/testcases", params=params, headers=ZEPHYR)


def zephyr_dc(http: requests.Session, server: Sandbox, **params: Any) -> requests.Response:
    params.setdefault("query", 'projectKey = "DEMO"')
    return http.get(
        f"{server.jira_dc_url}/rest/atm/1.0/testcase/search", params=params, headers=PAT
    )


def jira_dc(http: requests.Session, server: Sandbox, **params: Any) -> requests.Response:
    return http.get(f"{server.jira_dc_url}/rest/api/2/search", params=params, headers=PAT)


def jira_cloud(http: requests.Session, server: Sandbox, **params: Any) -> requests.Response:
    params.setdefault("jql", "project = DEMO")
    return http.get(f"{server.url}/rest/api/3/search/jql", params=params, auth=JIRA_CLOUD)


@pytest.mark.parametrize(
    ("ask", "params", "message"),
    [
        (zephyr_cloud, {"startAt": -1}, "startAt must be between 0"),
        (zephyr_cloud, {"maxResults": 0}, "maxResults must be 1 or more"),
        (zephyr_cloud, {"maxResults": "ten"}, "maxResults must be a whole number"),
        (zephyr_dc, {"startAt": -200}, "startAt must be between 0"),
        (zephyr_dc, {"maxResults": -1}, "maxResults must be 1 or more"),
        (jira_dc, {"startAt": "1e3"}, "startAt must be a whole number"),
        (jira_dc, {"maxResults": -5}, "maxResults must be 0 or more"),
        (jira_cloud, {"nextPageToken": "garbage"}, "nextPageToken is invalid"),
        (jira_cloud, {"nextPageToken": ""}, "nextPageToken is invalid"),  # not a fresh start
        (jira_cloud, {"maxResults": 0}, "maxResults must be 1 or more"),
        (jira_cloud, {"jql": "ORDER BY created"}, "Unbounded JQL"),
        (jira_cloud, {"jql": "project = NOPE"}, "'NOPE' does not exist for the field 'project'"),
        (jira_cloud, {"jql": "summary ~ demo"}, "understands only"),
    ],
)
def test_a_bad_paging_value_is_a_400_with_a_json_message(
    server: Sandbox, http: requests.Session, ask: Any, params: dict[str, Any], message: str
) -> None:
    answer = ask(http, server, **params)
    assert answer.status_code == 400
    assert message in answer.text
    assert answer.json()  # the message is JSON, as the vendor's is


def test_a_huge_page_is_clamped_where_the_vendor_clamps(
    server: Sandbox, http: requests.Session
) -> None:
    zephyr = zephyr_cloud(http, server, maxResults=10**9).json()
    assert (zephyr["maxResults"], len(zephyr["values"]), zephyr["isLast"]) == (1000, 450, True)
    assert jira_dc(http, server, maxResults=5000).json()["maxResults"] == 1000
    cloud = jira_cloud(http, server, maxResults=5000).json()
    assert len(cloud["issues"]) == 100
    assert "nextPageToken" in cloud


def test_a_jira_cloud_token_belongs_to_its_search_and_its_server(
    server: Sandbox, http: requests.Session
) -> None:
    token = jira_cloud(http, server).json()["nextPageToken"]
    assert jira_cloud(http, server, nextPageToken=token).status_code == 200
    other = jira_cloud(http, server, jql="project = SBX", nextPageToken=token)
    assert other.status_code == 400
    with Sandbox() as elsewhere:
        assert jira_cloud(http, elsewhere, nextPageToken=token).status_code == 400


def test_beyond_the_end_is_an_empty_last_page(server: Sandbox, http: requests.Session) -> None:
    zephyr = zephyr_cloud(http, server, startAt=100000).json()
    assert (zephyr["values"], zephyr["isLast"], zephyr["next"]) == ([], True, None)
    assert zephyr_dc(http, server, startAt=450).json() == []
    assert jira_dc(http, server, startAt=10**6).json()["issues"] == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("{ getTests { total } }", 'argument "limit" of type "Int!" is required'),
        ("{ getTests(limit: 101) { total } }", "limit must be between 1 and 100"),
        ("{ getTestExecutions(limit: 0) { total } }", "limit must be 1 or more"),
        ("{ getTests(limit: 5, start: -1) { total } }", "start must be between 0"),
        ('{ getTests(limit: "5") { total } }', 'Argument "limit" of field "getTests"'),
        ("query($l: Int!) { getTests(limit: $l) { total } }", "is required"),
    ],
)
def test_xray_refuses_a_connection_without_a_limit_of_1_to_100(
    server: Sandbox,
    http: requests.Session,
    xray_bearer: dict[str, str],
    query: str,
    message: str,
) -> None:
    answer = http.post(f"{server.url}/api/v2/graphql", json={"query": query}, headers=xray_bearer)
    assert answer.status_code == 400
    assert message in answer.json()["errors"][0]["message"]


def test_zephyr_scale_lists_an_execution_once_created(
    server: Sandbox, http: requests.Session
) -> None:
    server.reset()
    execution = {"projectKey": "DEMO", "testCaseKey": "DEMO-T3"}
    execution |= {"testCycleKey": "DEMO-R1", "statusName": "Pass"}
    created = http.post(f"{server.url}/v2/testexecutions", json=execution, headers=ZEPHYR)
    listed = http.get(
        f"{server.url}/v2/testexecutions", params={"maxResults": 1000}, headers=ZEPHYR
    ).json()
    assert created.status_code == 201
    assert listed["total"] == 26
    assert listed["values"][-1]["id"] == created.json()["id"] == 26
    assert listed["values"][-1]["testCaseKey"] == "DEMO-T3"
    server.reset()
    assert http.get(f"{server.url}/v2/testexecutions", headers=ZEPHYR).json()["total"] == 25


@pytest.mark.parametrize(
    "jql",
    [" " * 9_000 + "x", "project = DEMO" + " " * 9_000 + "order", "(" * 9_000, "a" * 20_000],
    ids=["spaces", "order", "brackets", "too-long"],
)
def test_hostile_jql_is_answered_at_once(server: Sandbox, http: requests.Session, jql: str) -> None:
    started = time.monotonic()
    answer = http.post(f"{server.url}/rest/api/3/search/jql", json={"jql": jql}, auth=JIRA_CLOUD)
    assert answer.status_code == 400
    assert answer.json()["errorMessages"]
    assert time.monotonic() - started < 2


def test_a_hostile_graphql_query_is_answered_at_once(
    server: Sandbox, http: requests.Session, xray_bearer: dict[str, str]
) -> None:
    query = "{ getTests(limit: 1, jql: " + '"' + "\\" * 50_000 + " [" * 50_000 + ") { total } }"
    started = time.monotonic()
    answer = http.post(f"{server.url}/api/v2/graphql", json={"query": query}, headers=xray_bearer)
    assert answer.status_code in (200, 400)
    assert time.monotonic() - started < 2


TEXT = st.one_of(st.text(max_size=30), st.integers(-(10**15), 10**15).map(str))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(start=TEXT, size=TEXT, token=TEXT)
def test_random_paging_text_never_gets_a_traceback(
    server: Sandbox, http: requests.Session, start: str, size: str, token: str
) -> None:
    answers = [
        zephyr_cloud(http, server, startAt=start, maxResults=size),
        zephyr_dc(http, server, startAt=start, maxResults=size),
        jira_dc(http, server, startAt=start, maxResults=size),
        jira_cloud(http, server, maxResults=size, nextPageToken=token or "x"),
    ]
    for answer in answers:
        assert answer.status_code in (200, 400), answer.text
        assert answer.headers["Content-Type"].startswith("application/json")


JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.floats(allow_nan=False, allow_infinity=False),  # requests sends only valid JSON
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(limit=JSON_VALUES, start=JSON_VALUES)
def test_random_graphql_paging_values_never_get_a_traceback(
    server: Sandbox, http: requests.Session, xray_bearer: dict[str, str], limit: Any, start: Any
) -> None:
    query = "query($l: Int!, $s: Int) { getTestExecutions(limit: $l, start: $s) { total } }"
    body = {"query": query, "variables": {"l": limit, "s": start}}
    answer = http.post(f"{server.url}/api/v2/graphql", json=body, headers=xray_bearer)
    assert answer.status_code in (200, 400), answer.text
    valid = isinstance(limit, int) and not isinstance(limit, bool) and 1 <= limit <= 100
    valid = valid and (start is None or (type(start) is int and 0 <= start <= 10**9))
    assert (answer.status_code == 200) == valid, answer.text
