"""Xray's side of publishing: the JSON import payload from a journal's results, and the
reading of every answer Xray gives (Cloud and Data Center) as the untrusted input it is.

Pure data in, data or one-line errors out: no request is made here (see
:mod:`.xray_client`), so every rule is tested without a server. A key several results share
(a parametrized test, or one key on several tests) is one test with an **iteration** per
result and the worst status of them; evidence is inline within the caps of
:mod:`.model`; what a cap dropped is said.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from pytest_tm_auth.core.errors import inert
from pytest_tm_auth.core.token import iso_time
from pytest_tm_auth.results.model import (
    COMMENT_LIMIT,
    EVIDENCE_BYTES_PER_RUN,
    EVIDENCE_FILES_PER_TEST,
    JIRA_KEY,
    PARAMETER_LIMIT,
    PARAMETERS_PER_ITERATION,
    PublishError,
    Result,
    bounded,
    by_key,
    capped_evidence,
    default_summary,
    header_text,
    service_header,
    status_table,
    worst,
)
from pytest_tm_auth.results.untrusted import as_list, found_at, parsed, quoted, scrubbed

__all__ = ["PublishError", "XraySettings", "build_payload", "default_summary", "rechecked"]

SERVICE = "xray"
#: Characters of an iteration's name, and of Xray's words quoted in a failure.
NAME_LIMIT = 255
MESSAGE_LIMIT = 200
#: Rejected keys named one by one in a failure; the rest are counted.
REJECTED_SHOWN = 10
#: The summary and the label a Test Execution is created with: Jira's summary holds 255.
SUMMARY_LIMIT = 255


class XraySettings(NamedTuple):
    """What a run resolved for Xray, as its journal's header holds it (checked, not trusted)."""

    project: str | None = None
    test_execution: str | None = None
    test_plan: str | None = None
    environments: tuple[str, ...] = ()
    fix_version: str | None = None
    revision: str | None = None
    summary: str | None = None
    statuses: str | None = None

    @property
    def existing(self) -> str | None:
        """The user's own Test Execution, given instead of a new one."""
        return self.test_execution

    @classmethod
    def from_header(cls, header: Mapping[str, Any]) -> XraySettings:
        given = service_header(header, SERVICE)
        text = functools.partial(header_text, given)

        environments = given.get("environments")
        if isinstance(environments, str):
            environments = environments.split(",")
        names = environments if isinstance(environments, list) else []
        settings = cls(
            text("project"),
            text("test_execution"),
            text("test_plan"),
            tuple(name.strip() for name in names if isinstance(name, str) and name.strip()),
            text("fix_version"),
            text("revision"),
            text("summary"),
            text("statuses"),
        )
        for name, key in (
            ("test execution", settings.test_execution),
            ("test plan", settings.test_plan),
        ):
            if key is not None and not JIRA_KEY.fullmatch(key):
                raise PublishError(f"the {name} key {inert(key, 40)!r} is not a Jira issue key")
        return settings


def build_payload(
    results: Sequence[Result],
    header: Mapping[str, Any],
    settings: XraySettings,
    deployment: str,
    key: str | None,
) -> tuple[dict[str, Any], list[str]]:
    """The import's JSON for ``results`` into ``key`` (``None`` in a dry run without one),
    and what the caps dropped, one line each. Raises :class:`PublishError` for a status
    table that cannot be read."""
    try:
        table = status_table(deployment, settings.statuses)
    except ValueError as error:
        raise PublishError(f"--xray-statuses: {error}") from None
    dropped: list[str] = []
    budget = [EVIDENCE_BYTES_PER_RUN]
    linked = by_key(results, SERVICE)
    tests = [_test(key_, found, table, budget, dropped) for key_, found in linked.items()]
    payload: dict[str, Any] = {"info": _info(results, header, settings), "tests": tests}
    if key is not None:
        payload = {"testExecutionKey": key, **payload}
    return payload, dropped


def _info(
    results: Sequence[Result], header: Mapping[str, Any], settings: XraySettings
) -> dict[str, Any]:
    info: dict[str, Any] = {}
    if settings.summary or not settings.test_execution:  # never renames the user's execution
        info["summary"] = bounded(settings.summary or default_summary(header), SUMMARY_LIMIT)
    if results:
        info["startDate"] = iso_time(min(result.start for result in results))
        info["finishDate"] = iso_time(max(result.finish for result in results))
    optional = {
        "project": settings.project,
        "testPlanKey": settings.test_plan,
        "version": settings.fix_version,
        "revision": settings.revision,
    }
    info.update({name: value for name, value in optional.items() if value})
    if settings.environments:
        info["testEnvironments"] = list(settings.environments)
    return info


def _test(
    key: str,
    results: list[Result],
    table: Mapping[str, str],
    budget: list[int],
    dropped: list[str],
) -> dict[str, Any]:
    """One key's entry: its status the worst of its results, an iteration per result when
    several share the key or the one is a parametrized variant (their names, comments and
    defects made in one loop: a key may hold thousands)."""
    if len(results) == 1 and results[0].iteration is None:
        return _single(key, results[0], table, budget, dropped)
    first = results[0]
    start, finish, test = first.start, first.finish, first.test
    one_test = True
    for result in results:
        start, finish = min(start, result.start), max(finish, result.finish)
        one_test = one_test and result.test == test
    entry: dict[str, Any] = {
        "testKey": key,
        "start": iso_time(start),
        "finish": iso_time(finish),
        "status": table[worst(result.outcome for result in results)],
    }
    iterations: list[dict[str, Any]] = []
    comments: list[str] = []
    defects: dict[str, None] = {}
    seen: dict[str, int] = {}
    for result in results:
        name = result.iteration if one_test and result.iteration is not None else result.nodeid
        name = bounded(name, NAME_LIMIT)
        runs = seen[name] = seen.get(name, 0) + 1  # ``--dist each``: ``name (run 2)``
        name = name if runs == 1 else f"{name} (run {runs})"
        if result.comment:
            comments.append(f"[{name}] {result.comment}")
        defects.update(dict.fromkeys(result.defects))
        iterations.append(
            {"name": name, "parameters": _parameters(result), "status": table[result.outcome]}
        )
    comment = bounded("\n".join(comments), COMMENT_LIMIT)
    if comment:
        entry["comment"] = comment
    if defects:
        entry["defects"] = list(defects)
    entry["iterations"] = iterations
    evidence = capped_evidence(key, results, budget, dropped)
    if evidence:
        entry["evidence"] = evidence
    return entry


def _parameters(result: Result) -> list[dict[str, str]]:
    return [
        {"name": bounded(name, PARAMETER_LIMIT), "value": bounded(value, PARAMETER_LIMIT)}
        for name, value in result.parameters[:PARAMETERS_PER_ITERATION]
    ]


def _single(
    key: str, result: Result, table: Mapping[str, str], budget: list[int], dropped: list[str]
) -> dict[str, Any]:
    """The entry of a key one unparametrized test links (most keys): :func:`_test`'s, made
    without its grouping."""
    entry: dict[str, Any] = {
        "testKey": key,
        "start": iso_time(result.start),
        "finish": iso_time(result.finish),
        "status": table[result.outcome],
    }
    if result.comment:
        entry["comment"] = bounded(result.comment, COMMENT_LIMIT)
    if result.defects:
        entry["defects"] = list(dict.fromkeys(result.defects))
    evidence = capped_evidence(key, [result], budget, dropped) if result.evidence else None
    if evidence:
        entry["evidence"] = evidence
    return entry


# After the team's hook: scrubbed again, checked again


def rechecked(
    payload: object,
    key: str | None,
    scrub: Callable[[str], str],
    pieces: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """The payload a ``pytest_tm_auth_results`` hook changed, with every string and key
    scrubbed again (each evidence file's ``data`` aside: base64 of files, scrubbed as text
    when attached), comments and file names with ``pieces`` too, and the caps and keys
    checked again. Raises :class:`PublishError` for a shape Xray cannot take."""
    if not isinstance(payload, dict):
        raise PublishError("the pytest_tm_auth_results hook left no payload (a dict) to send")
    if payload.get("testExecutionKey") != key and key is not None:
        raise PublishError(
            "the pytest_tm_auth_results hook changed testExecutionKey: the run's results "
            f"go to {key} only"
        )
    tests = payload.get("tests")
    if not isinstance(tests, list) or not all(isinstance(test, dict) for test in tests):
        raise PublishError("the pytest_tm_auth_results hook left 'tests' that are not a list")
    cleaned: dict[str, Any] = scrubbed(payload, scrub, ("tests", "evidence"))
    for test in cleaned["tests"]:
        test_key = test.get("testKey")
        if not isinstance(test_key, str) or not JIRA_KEY.fullmatch(test_key):
            raise PublishError(f"a test's key {inert(str(test_key), 40)!r} is not a Jira key")
        if isinstance(test.get("comment"), str):
            test["comment"] = bounded((pieces or scrub)(test["comment"]), COMMENT_LIMIT)
        evidence = test.get("evidence")
        _names_scrubbed(evidence, pieces or scrub)
        if isinstance(evidence, list) and len(evidence) > EVIDENCE_FILES_PER_TEST:
            del evidence[EVIDENCE_FILES_PER_TEST:]
    return cleaned


def _names_scrubbed(evidence: object, pieces: Callable[[str], str]) -> None:
    for item in evidence if isinstance(evidence, list) else ():
        if isinstance(item, dict) and isinstance(item.get("filename"), str):
            item["filename"] = pieces(item["filename"])


# Answers: untrusted input, each read into a key or one line


def created(deployment: str, body: str) -> tuple[str, str]:
    """The new Test Execution's key and id from a creation's 2xx answer: Cloud's GraphQL
    ``createTestExecution``, Data Center's Jira ``POST /rest/api/2/issue``."""
    data = parsed(body)
    if deployment == "cloud":
        errors = data.get("errors") if isinstance(data, dict) else None
        if errors:
            raise PublishError(f"Xray refused to create the Test Execution: {_messages(errors)}")
        made = found_at(data, "data", "createTestExecution", "testExecution")
        key, issue_id = found_at(made, "jira", "key"), found_at(made, "issueId")
    else:
        key, issue_id = found_at(data, "key"), found_at(data, "id")
    if not isinstance(key, str) or not JIRA_KEY.fullmatch(key):
        raise PublishError(
            "the answer to creating the Test Execution names no issue key: "
            f"{quoted(body)} (it may exist all the same: a replay looks for it by its label)",
            ambiguous=True,
        )
    return key, str(issue_id) if isinstance(issue_id, (str, int)) else ""


def found(deployment: str, body: str) -> list[tuple[str, str]]:
    """The (key, id) of each Test Execution a search by label found."""
    data = parsed(body)
    if deployment == "cloud":
        errors = data.get("errors") if isinstance(data, dict) else None
        if errors:
            raise PublishError(f"Xray refused the search: {_messages(errors)}")
        listed = found_at(data, "data", "getTestExecutions", "results")
        pairs = [
            (found_at(item, "jira", "key"), found_at(item, "issueId")) for item in as_list(listed)
        ]
    else:
        listed = found_at(data, "issues")
        pairs = [(found_at(item, "key"), found_at(item, "id")) for item in as_list(listed)]
    if not isinstance(listed, list):
        raise PublishError(f"the search for the run's Test Execution answered {quoted(body)}")
    return [
        (key, str(issue_id) if isinstance(issue_id, (str, int)) else "")
        for key, issue_id in pairs
        if isinstance(key, str) and JIRA_KEY.fullmatch(key)
    ]


def imported(deployment: str, body: str, key: str) -> None:
    """Check an import's 200 answer: it must name ``key``, and (Data Center) report no
    rejected test; otherwise a :class:`PublishError` naming what went wrong."""
    data = parsed(body)
    if not isinstance(data, dict):
        raise PublishError(
            f"Xray answered the import with something that is not JSON: {quoted(body)}"
        )
    said = (
        found_at(data, "key") if deployment == "cloud" else found_at(data, "testExecIssue", "key")
    )
    if said != key:
        named = inert(said, 40) if isinstance(said, str) else "none"
        raise PublishError(
            f"Xray answered the import into {key} naming another Test Execution ({named}): "
            "the results may not be where they belong"
        )
    rejected = found_at(data, "testIssues", "error")
    if rejected:
        raise PublishError(f"Xray rejected results in {key}: {_rejected(rejected)}")


def _rejected(errors: object) -> str:
    """``DEMO-7 (Test not found), DEMO-8 (...)``: each rejected key and Xray's words."""
    said = []
    items = as_list(errors)
    for item in items[:REJECTED_SHOWN]:
        test_key = found_at(item, "testKey")
        name = inert(test_key, 40) if isinstance(test_key, str) else "a test"
        words = _messages(found_at(item, "messages") or found_at(item, "message") or "")
        said.append(f"{name} ({words})" if words else name)
    more = len(items) - REJECTED_SHOWN
    if more > 0:
        said.append(f"and {more} more")
    return ", ".join(said) or quoted(json.dumps(errors)[:200])


def _messages(value: object) -> str:
    """Xray's own words (a string, a list of strings or of ``{"message"}``), inert, bounded."""
    parts = value if isinstance(value, list) else [value]
    texts = [
        part if isinstance(part, str) else found_at(part, "message")
        for part in parts[:REJECTED_SHOWN]
    ]
    return inert("; ".join(text for text in texts if isinstance(text, str)), MESSAGE_LIMIT)
