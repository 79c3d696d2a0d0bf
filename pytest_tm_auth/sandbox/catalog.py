"""The stand-in's seeded data: generated, deterministic, and built on first use only.

Enough of everything to page through at least three pages at each vendor's default page
size (and at Xray's largest ``limit``), in two Jira projects: ``DEMO`` (Xray Tests, Test
Executions, Zephyr Scale test cases, cycles and executions) and ``SBX`` (a few tasks). The
lists are made on the first request that needs them, so starting a stand-in costs nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = [
    "PROJECTS",
    "BadQuery",
    "Case",
    "Issue",
    "bounded",
    "issues",
    "matching",
    "zephyr_cases",
    "zephyr_cycles",
    "zephyr_executions",
]

#: Jira projects: (id, key, name).
PROJECTS = ((10000, "DEMO", "Demo"), (10001, "SBX", "Sandbox"))

XRAY_TESTS = 250  # DEMO-1 ... DEMO-250: 3 pages at Xray's largest limit, 100
XRAY_EXECUTIONS = 210  # DEMO-251 ... DEMO-460: Test Executions, 3 pages at 100
SANDBOX_TASKS = 5  # SBX-1 ... SBX-5
ZEPHYR_CASES = 450  # DEMO-T1 ... DEMO-T450: 3 pages at Data Center's default, 200
ZEPHYR_CYCLES = 25  # DEMO-R1 ... DEMO-R25, and SBX-R1: 3 pages at Cloud's default, 10
ZEPHYR_EXECUTIONS = 25  # DEMO-E1 ... DEMO-E25

TEST_TYPES = ("Generic", "Manual", "Cucumber")


@dataclass(frozen=True)
class Issue:
    """A Jira issue; Xray's Tests and Test Executions are issues too."""

    id: int
    key: str
    project: str
    type: str
    summary: str
    status: str = "To Do"
    test_type: str | None = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    """A Zephyr Scale test case, cycle or execution: ``DEMO-T7``, ``DEMO-R2``, ``DEMO-E3``."""

    id: int
    key: str
    project: str
    name: str


@functools.cache
def issues() -> tuple[Issue, ...]:
    """Every seeded Jira issue, by key order within each project."""
    made = [
        Issue(
            10000 + n,
            f"DEMO-{n}",
            "DEMO",
            "Test",
            f"Demo test {n}",
            test_type=TEST_TYPES[(n - 1) % 3],
        )
        for n in range(1, XRAY_TESTS + 1)
    ]
    made += [
        Issue(10000 + n, f"DEMO-{n}", "DEMO", "Test Execution", f"Demo run {n - XRAY_TESTS}")
        for n in range(XRAY_TESTS + 1, XRAY_TESTS + XRAY_EXECUTIONS + 1)
    ]
    made += [
        Issue(20000 + n, f"SBX-{n}", "SBX", "Task", f"Sandbox task {n}", "Done")
        for n in range(1, SANDBOX_TASKS + 1)
    ]
    return tuple(made)


@functools.cache
def zephyr_cases() -> tuple[Case, ...]:
    return tuple(
        Case(n, f"DEMO-T{n}", "DEMO", f"Demo test case {n}") for n in range(1, ZEPHYR_CASES + 1)
    )


@functools.cache
def zephyr_cycles() -> tuple[Case, ...]:
    cycles = [Case(n, f"DEMO-R{n}", "DEMO", f"Demo cycle {n}") for n in range(1, ZEPHYR_CYCLES + 1)]
    return (*cycles, Case(ZEPHYR_CYCLES + 1, "SBX-R1", "SBX", "Sandbox cycle"))


@functools.cache
def zephyr_executions() -> tuple[Case, ...]:
    return tuple(
        Case(n, f"DEMO-E{n}", "DEMO", f"DEMO-T{n}") for n in range(1, ZEPHYR_EXECUTIONS + 1)
    )


class BadQuery(ValueError):
    """A JQL query the stand-in refuses, as Jira would; the message is safe to send back."""


#: Longer JQL is refused: the stand-in's data never needs it, and its regexes stay cheap.
MAX_JQL = 10_000
_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)
_AND = re.compile(r"\band\b", re.IGNORECASE)
_CLAUSE = re.compile(
    r"\s*(?P<field>[A-Za-z]+)\s*(?:(?P<eq>=)\s*(?P<one>\"[^\"]*\"|'[^']*'|[^\s()\"',]+)"
    r"|(?P<in>in)\s*\((?P<many>[^()]*)\))\s*",
    re.IGNORECASE,
)
_FIELDS: dict[str, Callable[[Issue], tuple[str, ...]]] = {
    "project": lambda issue: (issue.project,),
    "issuetype": lambda issue: (issue.type,),
    "type": lambda issue: (issue.type,),
    "key": lambda issue: (issue.key,),
    "issuekey": lambda issue: (issue.key,),
    "status": lambda issue: (issue.status,),
    "labels": lambda issue: issue.labels,
}


def _values(match: re.Match[str]) -> set[str]:
    raw = [match["one"]] if match["eq"] else match["many"].split(",")
    return {value.strip().strip("\"'").lower() for value in raw if value.strip()}


def _restriction(jql: str) -> str:
    """``jql`` without its ``ORDER BY`` part, or :class:`BadQuery` if it is too long."""
    if len(jql) > MAX_JQL:
        raise BadQuery(f"The JQL query is longer than {MAX_JQL} characters.")
    order = _ORDER_BY.search(jql)
    return (jql if order is None else jql[: order.start()]).strip()


def bounded(jql: str) -> bool:
    """Whether ``jql`` restricts the search at all (``ORDER BY`` alone does not)."""
    return bool(_restriction(jql))


def matching(found: Iterable[Issue], jql: str) -> list[Issue]:
    """The issues ``jql`` selects: ``field = value`` and ``field in (...)`` joined by AND.

    The fields are project, issuetype, key, status and labels (an issue matches when one of
    its labels does); anything else is refused with a 400
    rather than ignored, so a query the stand-in cannot answer fails loudly, not quietly.
    """
    tests: list[tuple[Callable[[Issue], tuple[str, ...]], set[str]]] = []
    text = _restriction(jql)
    for clause in _AND.split(text) if text else []:
        match = _CLAUSE.fullmatch(clause)
        field = _FIELDS.get(match["field"].lower()) if match else None
        if match is None or field is None:
            raise BadQuery(
                f"The stand-in understands only project, issuetype, key, status and labels clauses "
                f"joined by AND, not {clause.strip()[:80]!r}."
            )
        wanted = _values(match)
        if match["field"].lower() == "project":
            known = {key.lower() for _, key, _ in PROJECTS}
            for value in sorted(wanted - known):
                raise BadQuery(
                    f"The value '{value.upper()}' does not exist for the field 'project'."
                )
        tests.append((field, wanted))
    return [
        issue
        for issue in found
        if all(any(value.lower() in wanted for value in get(issue)) for get, wanted in tests)
    ]
