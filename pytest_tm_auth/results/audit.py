"""``--tm-auth-check`` with publishing on: every key the selected tests link exists and is
what its service links (an Xray Test; a Zephyr Scale test case, :mod:`.zephyr_audit`), asked
a page of keys at a time (never one request per key).

Xray Cloud lists Tests only (GraphQL ``getTests(jql: "key in (...)")``, 100 keys a search),
so a key it does not list is no Test, or no issue at all; Jira Data Center's search names
each issue's type (``validateQuery=warn``: a key that does not exist is left out, not an
error).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from pytest_tm_auth.core.errors import TmAuthError
from pytest_tm_auth.core.text import inert
from pytest_tm_auth.core.urls import join
from pytest_tm_auth.results.answers import as_list, found_at, parsed, quoted
from pytest_tm_auth.results.model import JIRA_KEY, PublishError

if TYPE_CHECKING:
    from collections.abc import Callable

    from pytest_tm_auth.core.provider import Target
    from pytest_tm_auth.http.session import ApiSession

#: Keys per search: Xray Cloud's GraphQL limit, and a Jira search page.
PAGE = 100
#: The name the check mode looks for to let pytest collect the selected tests.
LINK_AUDIT = "tm_auth_link_audit"
#: Problems listed one by one in the summary; the rest are counted.
SHOWN = 50
TESTS = """query($jql: String!) {
  getTests(jql: $jql, limit: 100) { total results { issueId jira(fields: ["key"]) } }
}"""


#: What each service's keys must be, in the summary's words.
NOUNS = {"xray": "Test", "zephyr": "test case"}


def linked_keys(items: Iterable[Any], service: str = "xray") -> dict[str, list[str]]:
    """Each key the ``service`` markers of ``items`` name, with the tests that name it."""
    keys: dict[str, list[str]] = {}
    for item in items:
        for marker in item.iter_markers(service):
            for argument in marker.args:
                given = argument if isinstance(argument, (list, tuple)) else [argument]
                for key in given:
                    keys.setdefault(str(key), []).append(item.nodeid)
    return keys


def not_tests(session: ApiSession, target: Target, keys: Sequence[str]) -> list[str]:
    """One line per key that is not an Xray Test: malformed, missing, or of another type."""
    problems = [f"{inert(key, 60)!r} is not a Jira issue key" for key in keys if not _key(key)]
    wellformed = [key for key in keys if _key(key)]
    for start in range(0, len(wellformed), PAGE):
        page = wellformed[start : start + PAGE]
        kinds = _kinds(session, target, page)
        for key in page:
            kind = kinds.get(key)
            if kind is None and target.deployment == "cloud":
                problems.append(f"{key}: not an Xray Test, or no such issue")
            elif kind is None:
                problems.append(f"{key}: no such issue")
            elif kind != "Test":
                problems.append(f"{key}: a {inert(kind, 60)}, not a Test")
    return problems


def _key(key: str) -> bool:
    return JIRA_KEY.fullmatch(key) is not None


def _kinds(session: ApiSession, target: Target, page: Sequence[str]) -> dict[str, str]:
    """The issue type of each key of ``page`` the service knows (Cloud: Tests only)."""
    from pytest_tm_auth.results.xray_client import answer

    jql = f"key in ({', '.join(page)})"
    doing = "checking the linked keys"
    if target.deployment == "cloud":
        body = {"query": TESTS, "variables": {"jql": jql}}
        url = join(target.api_url, "graphql")
        text = answer(session, "POST", url, doing, json=body, changes=False) or ""
        listed = found_at(parsed(text), "data", "getTests", "results")
        found = {found_at(item, "jira", "key"): "Test" for item in as_list(listed)}
    else:
        url = join(target.url + "/", "rest/api/2/search")
        params = {"jql": jql, "fields": "issuetype", "maxResults": str(PAGE)}
        params["validateQuery"] = "warn"
        text = answer(session, "GET", url, doing, params=params, changes=False) or ""
        listed = found_at(parsed(text), "issues")
        found = {
            found_at(item, "key"): found_at(item, "fields", "issuetype", "name")
            for item in as_list(listed)
        }
    if not isinstance(listed, list):
        raise PublishError(f"{doing}: Xray answered {quoted(text)}")
    return {
        key: kind for key, kind in found.items() if isinstance(key, str) and isinstance(kind, str)
    }


class LinkAudit:
    """Registered as :data:`LINK_AUDIT` beside ``--tm-auth-check`` when Xray or Zephyr Scale
    publishing is on: the check mode then lets pytest collect (no test runs), and after the
    login check this lists, per service, each linked key that is not a Test (test case);
    any makes the exit status 1."""

    def __init__(self, setup: Callable[[], Any], services: Sequence[str] = ("xray",)) -> None:
        #: The run, set up (its providers' states: ``run.states["xray"]``).
        self._setup = setup
        self.services = tuple(services)
        self.keys: dict[str, dict[str, list[str]]] = {}
        self.lines: list[str] = []
        self.failed = False

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.keys = {service: linked_keys(session.items, service) for service in self.services}

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        for service in self.services:
            self.lines += self._checked(service)
        if self.failed and session.exitstatus == 0:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _checked(self, service: str) -> list[str]:
        keys = self.keys.get(service, {})
        if not keys:
            return [f"{service} links: no selected test links a key"]
        run = self._setup()
        state = run.states[service]
        check = not_tests if service == "xray" else _missing_cases
        try:
            problems = check(state.session(), state.target, sorted(keys))
        except (TmAuthError, pytest.fail.Exception, pytest.skip.Exception) as error:
            self.failed = True  # the login's own failure is in the check's table
            return [run.scrubber.scrub(f"{service} links: not checked: {error}")]
        self.failed = self.failed or bool(problems)
        return self._said(service, keys, problems)

    def _said(self, service: str, keys: dict[str, list[str]], problems: list[str]) -> list[str]:
        count, noun = len(keys), NOUNS[service]
        if not problems:
            return [
                f"{service} links: {count} linked key{'s' * (count != 1)} checked: "
                f"every one is a {noun}"
            ]
        lines = [f"{service} links: {len(problems)} of {count} linked keys are not {noun}s:"]
        for problem in problems[:SHOWN]:
            key = problem.partition(":")[0]
            tests = keys.get(key, [])
            where = (
                f" (linked by {tests[0]}{f' and {len(tests) - 1} more' if len(tests) > 1 else ''})"
                if tests
                else ""
            )
            lines.append(f"  {problem}{where}")
        if len(problems) > SHOWN:
            lines.append(f"  and {len(problems) - SHOWN} more")
        return lines

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        for line in self.lines:
            terminalreporter.write_line(line, red=self.failed)


def _missing_cases(session: ApiSession, target: Target, keys: Sequence[str]) -> list[str]:
    from pytest_tm_auth.results.zephyr_audit import missing_cases

    return missing_cases(session, target, keys)
