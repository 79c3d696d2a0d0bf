"""Paging through the stand-in's lists with the fixtures, as a user's suite would.

Each inner test pages a listing to its end the way the vendor documents it, with a bound on
the number of pages (a stand-in that ignored the paging would loop, and the bound fails the
test instead), and checks every seeded item came back exactly once. The records then say
how many pages reached the server.
"""

from __future__ import annotations

import pytest

from pytest_tm_auth.sandbox import Sandbox
from pytest_tm_auth.sandbox.catalog import ZEPHYR_CASES, issues
from tests.environment import export

ALL_ISSUES = len(issues())
TESTS = sum(1 for issue in issues() if issue.type == "Test")

HELPERS = """
from pytest_tm_auth.sandbox.catalog import issues, zephyr_cases

MAX_PAGES = 100


def once(keys, expected):
    assert len(keys) == len(set(keys)), "an item came back twice"
    assert sorted(keys) == sorted(expected)
"""

CLOUD = (
    HELPERS
    + """
def test_zephyr_scale_testcases_by_startat(zephyr_session):
    keys, start = [], 0
    for _ in range(MAX_PAGES):
        params = {"projectKey": "DEMO", "startAt": start, "maxResults": 100}
        page = zephyr_session.get("testcases", params=params).json()
        keys += [case["key"] for case in page["values"]]
        if page["isLast"]:
            break
        start = page["startAt"] + page["maxResults"]
    else:
        raise AssertionError("isLast never came")
    once(keys, [case.key for case in zephyr_cases()])


def test_zephyr_scale_testcases_by_next_at_the_default_size(zephyr_session):
    keys, url = [], "testcases?projectKey=DEMO"
    for _ in range(MAX_PAGES):
        page = zephyr_session.get(url).json()
        keys += [case["key"] for case in page["values"]]
        url = page["next"]
        if url is None:
            break
    once(keys, [case.key for case in zephyr_cases()])


def test_jira_cloud_search_jql_by_next_page_token(jira_session):
    ids, token = [], None
    for _ in range(MAX_PAGES):
        body = {"jql": "project in (DEMO, SBX) ORDER BY key", "maxResults": 100}
        if token is not None:
            body["nextPageToken"] = token
        page = jira_session.post("search/jql", json=body).json()
        assert "total" not in page
        ids += [issue["id"] for issue in page["issues"]]
        token = page.get("nextPageToken")
        if page["isLast"]:
            assert token is None
            break
    once(ids, [str(issue.id) for issue in issues()])


def test_jira_cloud_classic_search_is_gone(jira_session):
    answer = jira_session.get("search", params={"jql": "project = DEMO"})
    assert answer.status_code == 410
    assert "/rest/api/3/search/jql" in answer.json()["errorMessages"][0]


def test_xray_get_tests_by_start_and_limit(xray_session):
    query = (
        "query($start: Int) { getTests(limit: 100, start: $start) "
        "{ total start limit results { issueId } } }"
    )
    keys, start = [], 0
    for _ in range(MAX_PAGES):
        answer = xray_session.post("graphql", json={"query": query, "variables": {"start": start}})
        page = answer.json()["data"]["getTests"]
        keys += [test["issueId"] for test in page["results"]]
        start = page["start"] + page["limit"]
        if start >= page["total"]:
            break
    once(keys, [str(i.id) for i in issues() if i.type == "Test"])
"""
)

DATACENTER = (
    HELPERS
    + """
def test_zephyr_scale_search_by_startat_until_a_short_page(zephyr_session):
    keys, start = [], 0
    for _ in range(MAX_PAGES):
        params = {"query": 'projectKey = "DEMO"', "startAt": start}
        page = zephyr_session.get("testcase/search", params=params).json()
        keys += [case["key"] for case in page]
        start += len(page)
        if len(page) < 200:
            break
    once(keys, [case.key for case in zephyr_cases()])


def test_jira_datacenter_search_by_startat_and_total(jira_session):
    keys, start = [], 0
    for _ in range(MAX_PAGES):
        page = jira_session.get("search", params={"jql": "", "startAt": start}).json()
        keys += [issue["key"] for issue in page["issues"]]
        start = page["startAt"] + len(page["issues"])
        if start >= page["total"]:
            break
    once(keys, [issue.key for issue in issues()])


def test_xray_datacenter_tests_by_page(xray_session):
    keys = []
    for number in range(1, MAX_PAGES):
        params = {"jql": "project = DEMO", "limit": 100, "page": number}
        page = xray_session.get("api/test", params=params).json()
        keys += [test["key"] for test in page]
        if len(page) < 100:
            break
    once(keys, [i.key for i in issues() if i.type == "Test"])
"""
)


def pages(count: int, size: int) -> int:
    """Requests needed to page ``count`` items ``size`` at a time."""
    return -(-count // size)


def test_cloud_listings_page_to_their_end_once(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile(test_cloud=CLOUD)
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(passed=5)
    assert cloud_env.count("zephyr.testcases", status=200) == (
        pages(ZEPHYR_CASES, 100) + pages(ZEPHYR_CASES, 10)
    )
    assert cloud_env.count("jira.search_jql", status=200) == pages(ALL_ISSUES, 100)
    assert cloud_env.count("jira.search", status=410) == 1
    assert cloud_env.count("xray.graphql", status=200) == pages(TESTS, 100)


def test_datacenter_listings_page_to_their_end_once(
    pytester: pytest.Pytester, datacenter_env: Sandbox
) -> None:
    pytester.makepyfile(test_datacenter=DATACENTER)
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(passed=3)
    assert datacenter_env.count("zephyrdc.search", status=200) == pages(ZEPHYR_CASES, 200)
    assert datacenter_env.count("jiradc.search", status=200) == pages(ALL_ISSUES, 50)
    assert datacenter_env.count("xraydc.test", status=200) == pages(TESTS, 100)


def test_the_gateway_serves_search_jql_to_a_scoped_token(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    export(monkeypatch, sandbox, "cloud-scoped")
    pytester.makepyfile(
        """
        def test_search(jira_session):
            page = jira_session.get("search/jql", params={"jql": "project = SBX", "fields": "key"})
            assert [issue["key"] for issue in page.json()["issues"]] == [
                f"SBX-{n}" for n in range(1, 6)
            ]
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    assert sandbox.count("gateway.search_jql", status=200) == 1
    assert sandbox.count("jira.search_jql") == 0
