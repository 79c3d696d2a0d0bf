"""``--tm-auth-check`` with publishing on: every key the selected tests link exists and is
what its service links (an Xray Test, a Zephyr Scale test case), asked a page of keys at a
time (never one request per key).

Xray Cloud lists Tests only (GraphQL ``getTests(jql: "key in (...)")``, 100 keys a search),
so a key it does not list is no Test, or no issue at all; Jira Data Center's search names
each issue's type (``validateQuery=warn``: a key that does not exist is left out, not an
error). Zephyr Scale's test cases are listed a project at a time (Cloud ``GET
/v2/testcases?projectKey=``, 1000 a page; Data Center ``GET testcase/search``, 200 a page),
no further than the last key is found.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from pytest_tm_auth.core.errors import TmAuthError, inert
from pytest_tm_auth.core.urls import join
from pytest_tm_auth.results.model import JIRA_KEY, ZEPHYR_KEY, PublishError
from pytest_tm_auth.results.untrusted import as_list, found_at, parsed, quoted

if TYPE_CHECKING:
    from collections.abc import Callable

    from pytest_tm_auth.core.provider import Target
    from pytest_tm_auth.http.session import ApiSession

#: Keys per search: Xray Cloud's GraphQL limit, and a Jira search page.
PAGE = 100
#: Zephyr Scale's test cases a page: Cloud's most, Data Center's search default.
PAGES = {"cloud": 1000, "datacenter": 200}
#: Pages of Zephyr Scale's test cases read of one project at most (50,000 or 10,000).
PAGE_LIMIT = 50
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
        check = not_tests if service == "xray" else missing_cases
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


def missing_cases(session: ApiSession, target: Target, keys: Sequence[str]) -> list[str]:
    """One line per key that is not a Zephyr Scale test case: malformed, or not listed."""
    problems = [
        f"{inert(key, 60)!r} is not a Zephyr Scale test case key"
        for key in keys
        if not ZEPHYR_KEY.fullmatch(key)
    ]
    wanted = {key for key in keys if ZEPHYR_KEY.fullmatch(key)}
    for project in sorted({key.rpartition("-")[0] for key in wanted}):
        own = {key for key in wanted if key.rpartition("-")[0] == project}
        listed = _listed(session, target, project, own)
        problems += [f"{key}: no such test case" for key in sorted(own - listed)]
    return problems


def _listed(session: ApiSession, target: Target, project: str, wanted: set[str]) -> set[str]:
    """The keys of ``wanted`` that ``project``'s test cases hold (paged until all found)."""
    from pytest_tm_auth.results import zephyr_payload as zephyr
    from pytest_tm_auth.results.request import answer

    size = PAGES[target.deployment]
    doing = f"listing the test cases of {project}"
    title = "Zephyr Scale"
    found: set[str] = set()
    for page in range(PAGE_LIMIT):
        params: dict[str, Any] = {"maxResults": size, "startAt": page * size}
        if target.deployment == "cloud":
            params["projectKey"] = project
            url = join(target.api_url, "testcases")
            text = answer(session, "GET", url, doing, title=title, params=params, changes=False)
            cases, last = zephyr.cloud_page(text or "", doing)
        else:
            params["query"] = f'projectKey = "{project}"'
            url = join(target.api_url, "testcase/search")
            text = answer(session, "GET", url, doing, title=title, params=params, changes=False)
            cases = zephyr.datacenter_list(text or "", doing)
            last = len(cases) < size
        found |= {key for key in (found_at(case, "key") for case in cases) if key in wanted}
        if last or found == wanted:
            return found
    raise PublishError(f"{doing}: more than {PAGE_LIMIT} pages; not checked further")
