"""The stand-in's paging rules, its seed data and its GraphQL reading, without a server."""

from __future__ import annotations

import pytest

from pytest_tm_auth.sandbox import catalog
from pytest_tm_auth.sandbox.catalog import BadQuery, matching
from pytest_tm_auth.sandbox.paging import (
    BadPage,
    OffsetRule,
    next_token,
    token_offset,
    whole_number,
    window,
)
from pytest_tm_auth.sandbox.services.jira import CLOUD_PAGE, DC_PAGE
from pytest_tm_auth.sandbox.services.xray import DC_PAGE as XRAY_DC_PAGE
from pytest_tm_auth.sandbox.services.xray import GRAPHQL_LIMIT as LIMIT
from pytest_tm_auth.sandbox.services.xray_graphql import MISSING, GraphQLSyntax, arguments
from pytest_tm_auth.sandbox.services.zephyr import CLOUD_PAGE as ZEPHYR_PAGE
from pytest_tm_auth.sandbox.services.zephyr import DC_PAGE as ZEPHYR_DC_PAGE

KEY = b"k" * 32
RULE = OffsetRule(default=10, maximum=100)


@pytest.mark.parametrize(
    ("text", "number"), [(None, 7), ("", 7), ("0", 0), (" 12 ", 12), ("-3", -3), ("+4", 4), (5, 5)]
)
def test_whole_numbers_are_read_and_absence_is_the_default(text: str | None, number: int) -> None:
    assert whole_number(text, "startAt", 7) == number


@pytest.mark.parametrize("text", ["1.5", "1e3", "ten", "0x10", "--1", "١٢", "9" * 13, True])
def test_anything_else_is_refused_by_name(text: str | bool) -> None:
    with pytest.raises(BadPage, match="startAt must be a whole number"):
        whole_number(text, "startAt", 0)


def test_a_rule_clamps_a_large_page_and_refuses_a_bad_one() -> None:
    assert RULE.read(None, None) == (0, 10)
    assert RULE.read("20", "1000") == (20, 100)
    with pytest.raises(BadPage, match="startAt must be between 0"):
        RULE.read("-1", "5")
    with pytest.raises(BadPage, match="maxResults must be 1 or more, not 0"):
        RULE.read("0", "0")
    strict = OffsetRule(default=5, maximum=100, clamp=False, size_name="limit")
    with pytest.raises(BadPage, match="limit must be between 1 and 100, not 101"):
        strict.read(0, 101)


def test_a_window_knows_whether_it_is_the_last() -> None:
    items = list(range(25))
    pages = [window(items, start, 10) for start in (0, 10, 20)]
    assert [list(p.items) for p in pages][-1] == [20, 21, 22, 23, 24]
    assert [p.is_last for p in pages] == [False, False, True]
    assert window(items, 25, 10).is_last
    assert window(items, 15, 10).next_start == 25


def test_a_page_token_round_trips_only_for_its_own_search_and_key() -> None:
    token = next_token(KEY, 150, "project = DEMO")
    assert token_offset(KEY, token, "project = DEMO") == 150
    for key, scope in ((b"x" * 32, "project = DEMO"), (KEY, "project = SBX")):
        with pytest.raises(BadPage, match="nextPageToken is invalid"):
            token_offset(key, token, scope)


@pytest.mark.parametrize("token", ["", "garbage", "%%%", "MTUwLg", "a" * 500, "LTEuYWJj"])
def test_a_garbage_token_is_refused(token: str) -> None:
    with pytest.raises(BadPage, match="nextPageToken is invalid"):
        token_offset(KEY, token, "project = DEMO")


def test_each_service_states_its_vendors_rule() -> None:
    assert (ZEPHYR_PAGE.default, ZEPHYR_PAGE.maximum, ZEPHYR_PAGE.clamp) == (10, 1000, True)
    assert ZEPHYR_DC_PAGE.default == 200
    assert (DC_PAGE.default, DC_PAGE.maximum, DC_PAGE.smallest) == (50, 1000, 0)
    assert (CLOUD_PAGE.default, CLOUD_PAGE.maximum) == (50, 100)
    assert (LIMIT.maximum, LIMIT.clamp) == (100, False)
    assert XRAY_DC_PAGE.size_name == "limit"


def test_the_seed_fills_three_pages_at_each_default_and_is_made_once() -> None:
    issues = catalog.issues()
    tests = [i for i in issues if i.type == "Test"]
    executions = [i for i in issues if i.type == "Test Execution"]
    assert len(tests) > 2 * LIMIT.maximum
    assert len(executions) > 2 * LIMIT.maximum
    assert len(issues) > 2 * max(CLOUD_PAGE.default, DC_PAGE.default)
    assert len(catalog.zephyr_cases()) > 2 * ZEPHYR_DC_PAGE.default
    assert len([c for c in catalog.zephyr_cycles() if c.project == "DEMO"]) > 2 * 10
    assert len(catalog.zephyr_executions()) > 2 * ZEPHYR_PAGE.default
    assert len({i.key for i in issues}) == len({i.id for i in issues}) == len(issues)
    assert catalog.issues() is issues
    assert tests[0].key == "DEMO-1"
    assert tests[0].test_type == "Generic"


@pytest.mark.parametrize(
    ("jql", "keys"),
    [
        ("project = SBX", [f"SBX-{n}" for n in range(1, 6)]),
        ('project = "sbx" AND key in (SBX-2, SBX-9)', ["SBX-2"]),
        ("issuetype = 'Test Execution' AND key = DEMO-251 ORDER BY key", ["DEMO-251"]),
        ("project in (SBX) and status = Done", [f"SBX-{n}" for n in range(1, 6)]),
    ],
)
def test_the_jql_the_stand_in_understands(jql: str, keys: list[str]) -> None:
    assert [issue.key for issue in matching(catalog.issues(), jql)] == keys


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("project = NOPE", "'NOPE' does not exist for the field 'project'"),
        ("summary ~ demo", "understands only"),
        ("project = DEMO OR project = SBX", "understands only"),
    ],
)
def test_jql_it_does_not_understand_is_refused_not_ignored(jql: str, message: str) -> None:
    with pytest.raises(BadQuery, match=message):
        matching(catalog.issues(), jql)


def test_graphql_arguments_are_read_from_the_field() -> None:
    query = (
        'query($s: Int) { getTests(jql: "key in (DEMO-1, DEMO-2)", limit: 50, start: $s,'
        ' testType: {name: "limit"}) { results { jira(fields: ["key"]) } } }'
    )
    assert arguments(query, "getTests", {"s": 100}) == {
        "jql": "key in (DEMO-1, DEMO-2)",
        "limit": 50,
        "start": 100,
        "testType": {"name": "limit"},  # a nested object's keys stay inside it
    }
    assert arguments(query, "getTestExecutions", {}) is None
    assert arguments("{ getTests { total } }", "getTests", {}) == {}
    assert arguments("{ getTests(limit: $l) { total } }", "getTests", {}) == {"limit": MISSING}
    assert arguments("{ getTests(limit: 1.5, start: true) { total } }", "getTests", {}) == {
        "limit": 1.5,
        "start": True,
    }
    with pytest.raises(GraphQLSyntax, match="Expected"):
        arguments("{ getTests(limit: 1.5, start: true", "getTests", {})
