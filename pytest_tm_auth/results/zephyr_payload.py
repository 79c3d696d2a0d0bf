"""Zephyr Scale's side of publishing: one execution per linked test case from a journal's
results, and the reading of every answer Zephyr Scale gives (Cloud and Data Center).

Pure data in, data or one-line errors out: no request is made here (see
:mod:`.zephyr_client`). The payload a team's hook sees has one shape for both deployments
(the Cloud API's names: ``testCaseKey``, ``statusName``, ``environmentName``...); the client
turns it into each request. Rules:

- A test case several results share (a parametrized test, or one key on several tests) is
  **one execution**: the Cloud API takes no parameters, so its status is the worst of them,
  its time their sum, and each iteration is listed in its comment with its own status.
- Every execution's comment starts with the run's label: a replay finds what an earlier
  attempt landed by it, and never sends it twice.
- Evidence: Data Center attaches files to each result, within the caps; Cloud's API takes
  no attachments, which the summary says once (never dropped silently).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_tm_auth.core.errors import inert
from pytest_tm_auth.core.token import iso_time
from pytest_tm_auth.results.model import (
    COMMENT_LIMIT,
    EVIDENCE_BYTES_PER_RUN,
    ZEPHYR_KEY,
    PublishError,
    Result,
    bounded,
    by_key,
    capped_evidence,
    default_summary,
    header_text,
    service_header,
    worst,
)
from pytest_tm_auth.results.untrusted import as_list, found_at, parsed, quoted, scrubbed

SERVICE = "zephyr"
#: Status names for pytest's outcomes (the services' defaults, the same on both deployments).
STATUSES = {
    "passed": "Pass",
    "failed": "Fail",
    "error": "Fail",
    "skipped": "Not Executed",
    "xfailed": "Fail",
    "xpassed": "Pass",
}
#: A test cycle (Cloud, ``DEMO-R40``) or test run (Data Center, ``DEMO-C12``) key.
CYCLE_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,254}-[A-Z][0-9]{1,18}")
#: Characters of a cycle's or run's name.
NAME_LIMIT = 255
#: Where the team's hook may leave files: each execution's ``attachments``.
FILES = ("executions", "attachments")


@dataclass(frozen=True)
class ZephyrSettings:
    """What a run resolved for Zephyr Scale, as its journal's header holds it (checked)."""

    project: str | None = None
    test_cycle: str | None = None
    cycle_name: str | None = None
    environment: str | None = None

    @property
    def existing(self) -> str | None:
        """The user's own cycle or run, given instead of a new one."""
        return self.test_cycle

    @classmethod
    def from_header(cls, header: Mapping[str, Any]) -> ZephyrSettings:
        given = service_header(header, SERVICE)
        text = functools.partial(header_text, given)

        settings = cls(text("project"), text("test_cycle"), text("cycle_name"), text("environment"))
        cycle = settings.test_cycle
        if cycle is not None and not CYCLE_KEY.fullmatch(cycle):
            raise PublishError(
                f"the test cycle key {inert(cycle, 40)!r} is not a Zephyr Scale cycle or run "
                "key (like DEMO-R40 or DEMO-C12)"
            )
        project = settings.project
        if project is not None and not re.fullmatch(r"[A-Z][A-Z0-9_]{0,254}", project):
            raise PublishError(f"the project key {inert(project, 40)!r} is not a project key")
        return settings


def title(settings: ZephyrSettings, header: Mapping[str, Any]) -> str:
    """A new cycle's or run's name: the user's, else one that names the run (its label)."""
    return bounded(settings.cycle_name or default_summary(header), NAME_LIMIT)


def project_of(settings: ZephyrSettings, keys: Sequence[str]) -> str:
    """The results' project: the setting, else the one project of every linked test case."""
    if settings.project:
        return settings.project
    projects = {key.rpartition("-")[0] for key in keys}
    if len(projects) != 1:
        raise PublishError(
            "no project for the results: set --zephyr-project (ZEPHYR_PROJECT); the linked "
            f"test cases are in {len(projects)} projects"
        )
    return projects.pop()


def build_payload(
    results: Sequence[Result],
    header: Mapping[str, Any],
    settings: ZephyrSettings,
    deployment: str,
    key: str | None,
) -> tuple[dict[str, Any], list[str]]:
    """The executions for ``results`` into ``key`` (``None``: a new cycle or run), and what
    was dropped, one line each."""
    label = str(header.get("label") or "")
    linked = by_key(results, SERVICE)
    dropped: list[str] = []
    budget = [EVIDENCE_BYTES_PER_RUN]
    executions = [
        _execution(
            case,
            found,
            label=label,
            settings=settings,
            deployment=deployment,
            budget=budget,
            dropped=dropped,
        )
        for case, found in linked.items()
    ]
    payload: dict[str, Any] = {"projectKey": project_of(settings, list(linked))}
    if key is None:
        payload["testCycle"] = {
            "name": title(settings, header),
            "description": f"Results of the pytest run {label}, published by pytest-tm-auth",
        }
    else:
        payload["testCycleKey"] = key
    payload["executions"] = executions
    files = sum(len(result.evidence) for result in results)
    if deployment == "cloud" and files:
        tests = sum(1 for result in results if result.evidence)
        dropped.append(
            f"{files} evidence file(s) of {tests} test(s) not sent: Zephyr Scale Cloud's API "
            "takes no attachments"
        )
    return payload, dropped


def _execution(
    case: str,
    results: list[Result],
    *,
    label: str,
    settings: ZephyrSettings,
    deployment: str,
    budget: list[int],
    dropped: list[str],
) -> dict[str, Any]:
    """One test case's execution: the worst status of its results, their time, a comment
    that starts with the run's label and lists each iteration."""
    first = results[0]
    millis = sum(max(0, round((r.finish - r.start) * 1000)) for r in results)
    execution: dict[str, Any] = {
        "testCaseKey": case,
        "statusName": STATUSES[worst(result.outcome for result in results)],
        "executionTime": millis,
        "actualEndDate": _utc(max(result.finish for result in results)),
        "comment": _comment(results, label),
        "source": first.test if len({r.test for r in results}) == 1 else first.nodeid,
    }
    if settings.environment:
        execution["environmentName"] = settings.environment
    if deployment == "datacenter" and any(result.evidence for result in results):
        files = capped_evidence(case, results, budget, dropped)
        if files:
            execution["attachments"] = files
    return execution


def _utc(moment: float) -> str:
    """``2026-12-10T14:02:05Z``: the form the vendor's examples give (UTC, ``Z``)."""
    return iso_time(moment).replace("+00:00", "Z")


def _comment(results: list[Result], label: str) -> str:
    """``tm-auth-0a1b...: test_mod.py::test_x`` then, for iterations, one line each with
    its status, and each result's own comment."""
    several = len(results) > 1 or results[0].iteration is not None
    lines = [f"{label}: {results[0].test if several else results[0].nodeid}"]
    for result in results:
        name = result.iteration if result.iteration is not None else result.nodeid
        if several:
            lines.append(f"[{STATUSES[result.outcome]}] {name}")
        if result.comment:
            lines.append(f"  {result.comment}" if several else result.comment)
    return bounded("\n".join(lines), COMMENT_LIMIT)


def rechecked(
    payload: object,
    key: str | None,
    scrub: Callable[[str], str],
    pieces: Callable[[str], str] | None = None,
    *,
    label: str = "",
    built: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The payload a ``pytest_tm_auth_results`` hook changed, scrubbed and checked again:
    every string and key (attachments' ``data`` aside), comments and file names with
    ``pieces`` too; the cycle and project unchanged (``built``: as built), a new cycle's
    name and description text, each test case key a Zephyr Scale key and once; each comment
    starting with ``label`` again (a replay finds what landed by it)."""
    if not isinstance(payload, dict):
        raise PublishError("the pytest_tm_auth_results hook left no payload (a dict) to send")
    if key is not None and payload.get("testCycleKey") != key:
        raise PublishError(
            "the pytest_tm_auth_results hook changed testCycleKey: the run's results go to "
            f"{key} only"
        )
    _same_project(payload, built)
    _cycle_checked(payload.get("testCycle"), key)
    executions = payload.get("executions")
    if not isinstance(executions, list) or not all(isinstance(e, dict) for e in executions):
        raise PublishError("the pytest_tm_auth_results hook left 'executions' that are not a list")
    cleaned: dict[str, Any] = scrubbed(payload, scrub, FILES)
    seen: set[str] = set()
    for execution in cleaned["executions"]:
        case = execution.get("testCaseKey")
        if not isinstance(case, str) or not ZEPHYR_KEY.fullmatch(case):
            raise PublishError(f"a test case key {inert(str(case), 40)!r} is not a Zephyr key")
        if case in seen:
            raise PublishError(
                f"the pytest_tm_auth_results hook left two executions of {case}: one per "
                "test case is sent"
            )
        seen.add(case)
        if not isinstance(execution.get("statusName"), str):
            raise PublishError(f"the execution of {case} has no statusName")
        comment = _marked(execution.get("comment"), label, case)
        execution["comment"] = bounded((pieces or scrub)(comment), COMMENT_LIMIT)
        for item in as_list(execution.get("attachments")):
            if isinstance(item, dict) and isinstance(item.get("filename"), str):
                item["filename"] = (pieces or scrub)(item["filename"])
    return cleaned


def _same_project(payload: Mapping[str, Any], built: Mapping[str, Any] | None) -> None:
    given = (built or {}).get("projectKey")
    if given is not None and payload.get("projectKey") != given:
        raise PublishError(
            "the pytest_tm_auth_results hook changed projectKey: the run's results go to "
            f"{given} only (set --zephyr-project for another)"
        )


def _cycle_checked(cycle: object, key: str | None) -> None:
    """A new cycle's fields as a team's hook left them: a dict of text, if any."""
    if cycle is None or key is not None:
        return
    if not isinstance(cycle, dict) or not all(
        isinstance(cycle.get(name, ""), str) for name in ("name", "description")
    ):
        raise PublishError(
            "the pytest_tm_auth_results hook left a testCycle that is not a dict with a "
            "text name and description"
        )


def _marked(comment: object, label: str, case: str) -> str:
    """The comment starting with the run's label (put back if a hook moved or removed it)."""
    if comment is None:
        comment = ""
    if not isinstance(comment, str):
        raise PublishError(f"the comment of the execution of {case} is not text")
    if not label or comment.startswith(f"{label}:"):
        return comment
    return f"{label}: {comment}" if comment else f"{label}:"


# Answers: untrusted input, each read into what was asked or one line


def _object(body: str, doing: str) -> dict[str, Any]:
    data = parsed(body)
    if not isinstance(data, dict):
        raise PublishError(f"Zephyr Scale answered {doing} with {quoted(body)}")
    return data


def uploaded(
    body: str, unsure: str = "a replay looks for it by its label", *, project: str | None = None
) -> tuple[str, str]:
    """The new cycle's key and URL (only a web address) from an automation upload's answer
    ``{"testCycle": {...}}``; ``unsure`` says what to do when it names no cycle (or one
    outside ``project``)."""
    data = parsed(body)  # a 2xx answer: the upload may have landed, whatever it says
    key, url = found_at(data, "testCycle", "key"), found_at(data, "testCycle", "url")
    if not isinstance(key, str) or not CYCLE_KEY.fullmatch(key):
        raise PublishError(
            f"the answer to the upload names no test cycle: {quoted(body)} (it may exist all "
            f"the same: {unsure})",
            ambiguous=True,
        )
    _in_project(key, project, "the upload", unsure)
    shown = inert(url, 300) if isinstance(url, str) else ""
    return key, shown if shown.startswith(("https://", "http://")) else ""


def run_made(body: str, project: str | None = None) -> str:
    """The new test run's key from Data Center's ``POST testrun`` answer ``{"key"}``."""
    key = found_at(parsed(body), "key")
    unsure = "a replay looks for it by its label"
    if not isinstance(key, str) or not CYCLE_KEY.fullmatch(key):
        raise PublishError(
            f"the answer to creating the test run names no key: {quoted(body)} (it may exist "
            f"all the same: {unsure})",
            ambiguous=True,
        )
    _in_project(key, project, "creating the test run", unsure)
    return key


def _in_project(key: str, project: str | None, doing: str, unsure: str) -> None:
    """An answer naming a cycle or run of another project is not believed."""
    if project and not key.startswith(f"{project}-"):
        raise PublishError(
            f"the answer to {doing} names {key}, not a key of the project {project}: the "
            f"results were not confirmed (they may be somewhere all the same: {unsure})",
            ambiguous=True,
        )


def labelled(items: list[Any], label: str, *fields: str) -> list[str]:
    """The keys of ``items`` (cycles, runs) that carry ``label`` in one of ``fields``."""
    return [
        item["key"]
        for item in items
        if isinstance(item, dict)
        and isinstance(item.get("key"), str)
        and CYCLE_KEY.fullmatch(item["key"])
        and any(label in str(item.get(name) or "") for name in fields)
    ]


def cloud_page(body: str, doing: str) -> tuple[list[Any], bool]:
    """A Cloud list's page: its ``values`` and whether it is the last (``isLast``)."""
    data = _object(body, doing)
    values, last = data.get("values"), data.get("isLast")
    if not isinstance(values, list) or not isinstance(last, bool):
        raise PublishError(f"Zephyr Scale answered {doing} with {quoted(body)}")
    return values, last


def datacenter_list(body: str, doing: str) -> list[Any]:
    """A Data Center answer that is a bare list (a search, a run's results)."""
    data = parsed(body)
    if not isinstance(data, list):
        raise PublishError(f"Zephyr Scale answered {doing} with {quoted(body)}")
    return data


def case_of(execution: object) -> str | None:
    """The test case an execution (Cloud) or result (Data Center) listed belongs to:
    ``testCaseKey``, else the key in its ``testCase.self`` URL (``.../testcases/KEY/...``)."""
    key = found_at(execution, "testCaseKey")
    if key is None:
        link = found_at(execution, "testCase", "self")
        found = re.search(r"/testcases/([A-Z][A-Z0-9_]*-T[0-9]+)", link or "")
        key = found[1] if isinstance(link, str) and found else None
    return key if isinstance(key, str) and ZEPHYR_KEY.fullmatch(key) else None


def result_ids(body: str, count: int) -> list[str]:
    """The ids Data Center gave the ``count`` results it took, in order."""
    items = datacenter_list(body, "the results")
    ids = [found_at(item, "id") for item in items]
    if len(ids) != count or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise PublishError(
            f"Zephyr Scale took {count} results and answered {quoted(body)}: the results "
            "may not all be there",
            ambiguous=True,
        )
    return [str(i) for i in ids]


def execution_id(body: str, location: str = "") -> str:
    """The id of an execution Cloud made: its answer's ``id`` (``201 {"id", "self"}``), else
    the last part of its ``Location``; "" for a 201 that names neither (it landed, unnamed)."""
    if not body.strip():
        return _located_id(location)
    given = found_at(parsed(body), "id")
    if isinstance(given, (int, str)) and not isinstance(given, bool) and given != "":
        return inert(str(given), 40)
    if location:
        return _located_id(location)
    raise PublishError(
        f"the answer to sending a result names no execution: {quoted(body)} (it may exist "
        "all the same: a replay looks for it by the run's label)",
        ambiguous=True,
    )


def _located_id(location: str) -> str:
    """``.../v2/testexecutions/5`` -> ``5`` (no query, no fragment)."""
    path = re.split(r"[?#]", location, maxsplit=1)[0]
    last = path.rstrip("/").rpartition("/")[2]
    return last if re.fullmatch(r"[A-Za-z0-9_-]{1,40}", last) else ""


def carrying(executions: list[Any], label: str) -> set[str]:
    """The test cases of the executions listed whose comment carries ``label``."""
    return set(carrying_ids(executions, label))


def carrying_ids(results: list[Any], label: str) -> dict[str, str]:
    """The results listed whose comment carries ``label``, by test case, with their ids."""
    found: dict[str, str] = {}
    for item in results:
        case = case_of(item)
        comment = found_at(item, "comment")
        if case is not None and isinstance(comment, str) and _carries(comment, label):
            given = found_at(item, "id")
            found[case] = str(given) if isinstance(given, (int, str)) else ""
    return found


def _carries(comment: str, label: str) -> bool:
    """The comment starts with ``label:``, past any blanks or markup a service may wrap it
    in (``<p>``); a comment that only mentions the label elsewhere is another's."""
    start = rf"(?:\s|<[^<>]{{0,100}}>)*{re.escape(label)}:"
    return bool(label) and re.match(start, comment) is not None
