"""Xray Cloud's GraphQL, as much of it as clients use: a field's arguments read, the
connections' paging held to Xray's rule, and the results' fields answered
(``createTestExecution``, and ``getTestExecution`` with its test runs, read back).

Not a GraphQL parser: :func:`arguments` finds one field in a query and reads its
``name: value`` arguments, ``$variables`` among them; text it cannot read raises
:class:`GraphQLSyntax`, answered as GraphQL answers a syntax error. Connections follow Xray's
rule (:data:`GRAPHQL_LIMIT`): a required ``limit`` of 1 to 100 and an optional ``start``. A
query that breaks it fails schema validation, answered as 400 with GraphQL ``errors``; a
mutation the service refuses (no summary, no project) is a 200 whose ``errors`` say why and
whose ``data`` is null (the stand-in's guess at Xray's words). The stand-in answers every
field it knows, whatever the selection asks for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pytest_tm_auth.sandbox import catalog
from pytest_tm_auth.sandbox.catalog import Issue
from pytest_tm_auth.sandbox.executions import Details, Run, seeded
from pytest_tm_auth.sandbox.messages import Response, json_response
from pytest_tm_auth.sandbox.paging import BadPage, OffsetRule
from pytest_tm_auth.sandbox.services.xray_results import NO_PROJECT, NO_SUMMARY, XRAY_PROJECT
from pytest_tm_auth.sandbox.state import State

__all__ = [
    "GRAPHQL_LIMIT",
    "MISSING",
    "GraphQLSyntax",
    "arguments",
    "connection_window",
    "graphql_errors",
    "results_fields",
]

MISSING = object()  # a ``$variable`` the request did not define

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_]\w*")
_WORDS: dict[str, Any] = {"true": True, "false": False, "null": None}


class GraphQLSyntax(ValueError):
    """Arguments the stand-in cannot read; the message is safe to send back."""


class _Reader:
    """Reads GraphQL values (strings, numbers, booleans, ``null``, enum words, lists,
    objects) from ``text`` at ``index``, replacing ``$variables`` as it goes."""

    def __init__(self, text: str, index: int, variables: Mapping[str, Any]) -> None:
        self.text, self.index, self.variables = text, index, variables

    def _skip(self) -> str:
        """The next significant character (``""`` at the end), past blanks, commas, comments."""
        while self.index < len(self.text):
            char = self.text[self.index]
            if char == "#":
                end = self.text.find("\n", self.index)
                self.index = len(self.text) if end < 0 else end
            elif char.isspace() or char == ",":
                self.index += 1
            else:
                return char
        return ""

    def _take(self, pattern: re.Pattern[str], what: str) -> str:
        match = pattern.match(self.text, self.index)
        if match is None:
            near = self.text[self.index : self.index + 20]
            raise GraphQLSyntax(f"Syntax Error: Expected {what}, found {near!r}.")
        self.index = match.end()
        return match[0]

    def pairs(self, closing: str) -> dict[str, Any]:
        """``name: value`` pairs up to ``closing`` (the opening bracket already read)."""
        given: dict[str, Any] = {}
        while self._skip() != closing:
            if not self._skip():
                raise GraphQLSyntax(f"Syntax Error: Expected {closing!r}, found <EOF>.")
            name = self._take(_NAME, "Name")
            if self._skip() != ":":
                raise GraphQLSyntax(f'Syntax Error: Expected ":" after {name!r}.')
            self.index += 1
            given[name] = self.value()
        self.index += 1
        return given

    def value(self) -> Any:
        char = self._skip()
        if char == '"':
            text = self._take(_STRING, "String")
            return json.loads(text)
        if char == "$":
            self.index += 1
            return self.variables.get(self._take(_NAME, "Name"), MISSING)
        if char == "[":
            self.index += 1
            items = []
            while self._skip() != "]":
                if not self._skip():
                    raise GraphQLSyntax("Syntax Error: Expected ']', found <EOF>.")
                items.append(self.value())
            self.index += 1
            return items
        if char == "{":
            self.index += 1
            return self.pairs("}")
        if char == "-" or char.isdigit():
            number = self._take(_NUMBER, "a value")
            return int(number) if number.lstrip("-").isdigit() else float(number)
        word = self._take(_NAME, "a value")
        return _WORDS.get(word, word)


def arguments(query: str, field: str, variables: Mapping[str, Any]) -> dict[str, Any] | None:
    """The arguments given to ``field`` in ``query``; ``None`` if the query does not ask for it.

    A field asked for with no parentheses has no arguments (``{}``); a ``$variable`` missing
    from ``variables`` reads as :data:`MISSING`, wherever it stands.
    """
    found = re.search(rf"\b{re.escape(field)}\b\s*(\(?)", query)
    if found is None:
        return None
    if not found[1]:
        return {}
    try:
        return _Reader(query, found.end(), variables).pairs(")")
    except ValueError as bad:  # json.loads' errors too
        raise GraphQLSyntax(str(bad)) from None


#: Xray Cloud: "Values of limit must be within 1-100"; no default, so no clamping either.
GRAPHQL_LIMIT = OffsetRule(
    default=0, maximum=100, clamp=False, start_name="start", size_name="limit"
)


def graphql_errors(message: str, status: int = 400) -> Response:
    return json_response(status, {"errors": [{"message": message}]})


def _int_argument(field: str, given: Mapping[str, Any], name: str) -> int | None:
    value = given.get(name)
    if value is None or value is MISSING:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadPage(f'Argument "{name}" of field "{field}" has an invalid value: {value!r}.')
    return value


def connection_window(field: str, given: Mapping[str, Any]) -> tuple[int, int]:
    """The ``start`` and ``limit`` a connection's arguments ask for, or :class:`BadPage`."""
    limit = _int_argument(field, given, "limit")
    if limit is None:
        raise BadPage(
            f'Field "{field}" argument "limit" of type "Int!" is required, but it was not provided.'
        )
    start = _int_argument(field, given, "start")
    try:
        return GRAPHQL_LIMIT.read(start, limit)
    except BadPage as bad:
        raise BadPage(f"{field}: {bad}") from None


def _jira(issue: Issue) -> dict[str, Any]:
    return {"key": issue.key, "summary": issue.summary, "labels": list(issue.labels)}


def _refused(field: str, message: str) -> Response:
    body = {"data": {field: None}, "errors": [{"message": message, "path": [field]}]}
    return json_response(200, body)


def _strings(value: Any) -> list[str]:
    if value is None or value is MISSING:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadPage("Expected a list of strings.")
    return list(value)


def _create(given: Mapping[str, Any], state: State) -> Response:
    """``createTestExecution(testIssueIds, testEnvironments, jira: {fields: {...}})``."""
    jira = given.get("jira")
    fields = jira.get("fields") if isinstance(jira, dict) else None
    fields = fields if isinstance(fields, dict) else {}
    summary, project = fields.get("summary"), fields.get("project")
    key = project.get("key") if isinstance(project, dict) else None
    try:
        ids, environments = (
            _strings(given.get("testIssueIds")),
            _strings(given.get("testEnvironments")),
        )
        labels = tuple(_strings(fields.get("labels")))
    except BadPage as bad:
        return graphql_errors(f'Field "createTestExecution": {bad}')
    if not isinstance(summary, str) or not summary.strip():
        return _refused("createTestExecution", NO_SUMMARY)
    if not isinstance(key, str) or not key:
        return _refused("createTestExecution", NO_PROJECT)
    if key != XRAY_PROJECT:
        return _refused("createTestExecution", f"Project {key[:40]} does not exist.")
    tests = {str(i.id): i for i in catalog.issues() if i.type == "Test"}
    details = Details(environments=tuple(environments))
    issue = state.created.xray.create(summary, key, labels, "cloud", details)
    runs = [Run(tests[i].key, "TODO") for i in ids if i in tests]
    state.created.xray.land(issue, runs, "cloud", Details())
    warnings = [f"Test with id {i[:40]} was not found." for i in ids if i not in tests]
    made = {
        "testExecution": {
            "issueId": str(issue.id),
            "projectId": "10000",
            "jira": _jira(issue),
            "testEnvironments": environments,
        },
        "warnings": warnings,
        "createdTestEnvironments": [],
    }
    return json_response(200, {"data": {"createTestExecution": made}})


def _run(number: int, run: Run, iterations: tuple[int, int]) -> dict[str, Any]:
    test = seeded(run.test_key)
    assert test is not None  # only seeded Tests land
    start, size = iterations
    evidence = [
        {"id": f"{number}-{n}", "filename": e.filename, "size": e.size}
        for n, e in enumerate(run.evidence, 1)
    ]
    return {
        "id": str(number),
        "status": {"name": run.status},
        "comment": run.comment,
        "startedOn": run.start,
        "finishedOn": run.finish,
        "defects": list(run.defects),
        "test": {"issueId": str(test.id), "jira": {"key": test.key, "summary": test.summary}},
        "iterations": {
            "total": len(run.iterations),
            "start": start,
            "limit": size,
            "results": [
                {
                    "name": it.name,
                    "parameters": [{"name": n, "value": v} for n, v in it.parameters],
                    "status": {"name": it.status},
                }
                for it in run.iterations[start : start + size]
            ],
        },
        "evidence": evidence,
        "evidences": evidence,  # the name some clients ask for
    }


def _read(query: str, given: Mapping[str, Any], variables: Mapping[str, Any], state: State) -> Any:
    """``getTestExecution(issueId)``: the execution and, when asked, a page of its runs."""
    issue_id = given.get("issueId")
    issue = state.created.xray.by_id(issue_id) if isinstance(issue_id, str) else None
    if issue is None:
        return None
    found: dict[str, Any] = {
        "issueId": str(issue.id),
        "projectId": "10000",
        "jira": _jira(issue),
        "testEnvironments": state.created.xray.environments(issue.key),
    }
    asked_runs = arguments(query, "testRuns", variables)
    if asked_runs is not None:
        start, size = connection_window("testRuns", asked_runs)
        asked_iterations = arguments(query, "iterations", variables)
        iterations = (
            (0, GRAPHQL_LIMIT.maximum)
            if asked_iterations is None
            else connection_window("iterations", asked_iterations)
        )
        runs = state.created.xray.runs(issue.key)
        found["testRuns"] = {
            "total": len(runs),
            "start": start,
            "limit": size,
            "results": [_run(n, run, iterations) for n, run in runs[start : start + size]],
        }
    return found


def results_fields(query: str, variables: Mapping[str, Any], state: State) -> Response | None:
    """The answer to a query about results, or ``None`` when it asks for none of them.

    :class:`BadPage` and :class:`GraphQLSyntax` are the
    caller's to answer.
    """
    create = arguments(query, "createTestExecution", variables)
    if create is not None:
        return _create(create, state)
    read = arguments(query, "getTestExecution", variables)
    if read is not None:
        found = _read(query, read, variables, state)
        return json_response(200, {"data": {"getTestExecution": found}})
    return None
