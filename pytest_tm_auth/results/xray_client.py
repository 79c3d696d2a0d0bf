"""Xray's requests for publishing: create a Test Execution, find one by its label, import
a run's results, or a JUnit report of any runner.

Every request goes through the run's provider session (its token, renewal, timeout,
retries). A request that creates something is never retried once it may have reached Xray
(urllib3 retries no POST after a read error, and :func:`~pytest_tm_auth.http.session.sending`
says a lost answer as such): its outcome is unknown, and the journal says what to look for.
Each answer is read bounded, then by :mod:`.xray_payload` as untrusted input.

A report's JUnit import is one request: Cloud takes the XML as the body (``POST
{xray}/api/v2/import/execution/junit``), Data Center as the multipart part ``file`` (``POST
{jira}/rest/raven/1.0/import/execution/junit``); both take the execution's settings in the
query. The file goes as it is, streamed from the disk: it is the user's own report, read
and checked by :mod:`.junit` before it is sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pytest_tm_auth.core.urls import join
from pytest_tm_auth.core.values import Record
from pytest_tm_auth.results import request
from pytest_tm_auth.results import xray_payload as xray
from pytest_tm_auth.results.model import JIRA_KEY, Ledger, Made, PublishError
from pytest_tm_auth.results.untrusted import found_at, parsed, quoted
from pytest_tm_auth.results.xray_payload import XraySettings

if TYPE_CHECKING:
    from pytest_tm_auth.core.provider import Target
    from pytest_tm_auth.http.session import ApiSession

TITLE = "Xray"

CREATE = """mutation($jira: JSON!, $testEnvironments: [String]) {
  createTestExecution(testIssueIds: [], testEnvironments: $testEnvironments, jira: $jira) {
    testExecution { issueId jira(fields: ["key"]) }
    warnings
  }
}"""
FIND = """query($jql: String!) {
  getTestExecutions(jql: $jql, limit: 10) { total results { issueId jira(fields: ["key"]) } }
}"""


class XrayClient:
    """Publishing's requests to one Xray (``target``: Cloud or Data Center)."""

    service = xray.SERVICE

    def __init__(self, session: ApiSession, target: Target, jira_site: str | None = None):
        self._session = session
        self.deployment = target.deployment
        self._api = target.api_url
        #: Where issues are browsed: the Jira site (Data Center: Xray's own URL).
        self.site = target.url if self.deployment == "datacenter" else (jira_site or "")

    def browse(self, key: str) -> str:
        return f"{self.site.rstrip('/')}/browse/{key}" if self.site else ""

    def find(self, label: str, settings: XraySettings, payload: dict[str, Any]) -> Made | None:
        """The Test Execution created with ``label`` (a lost creation's answer), if any."""
        jql = f'labels = "{label}"'
        if self.deployment == "cloud":
            url = join(self._api, "graphql")
            body: dict[str, Any] = {"query": FIND, "variables": {"jql": jql}}
            text = answer(
                self._session,
                "POST",
                url,
                "searching for the Test Execution",
                json=body,
                changes=False,
            )
        else:
            url = join(self.site + "/", "rest/api/2/search")
            params = {"jql": jql, "fields": "key", "maxResults": "10"}
            text = answer(
                self._session,
                "GET",
                url,
                "searching for the Test Execution",
                params=params,
                changes=False,
            )
        matches = xray.found(self.deployment, text or "")
        return Made(*matches[0]) if matches else None

    def create(
        self, label: str, settings: XraySettings, summary: str, payload: dict[str, Any]
    ) -> Made:
        """A new Test Execution labelled ``label`` (empty: the results follow); never
        retried once it may exist."""
        if not settings.project:
            raise PublishError(
                "no project for a new Test Execution: set --xray-project (XRAY_PROJECT), "
                "or --xray-test-execution to import into an existing one"
            )
        fields: dict[str, Any] = {
            "summary": summary,
            "project": {"key": settings.project},
            "labels": [label],
        }
        if self.deployment == "cloud":
            url = join(self._api, "graphql")
            variables = {
                "jira": {"fields": fields},
                "testEnvironments": list(settings.environments),
            }
            body: dict[str, Any] = {"query": CREATE, "variables": variables}
        else:
            url = join(self.site + "/", "rest/api/2/issue")
            body = {"fields": {**fields, "issuetype": {"name": "Test Execution"}}}
        text = answer(self._session, "POST", url, "creating the Test Execution", json=body)
        return Made(*xray.created(self.deployment, text or ""))

    def send(self, payload: dict[str, Any], key: str, ledger: Ledger) -> int:
        """Import ``payload`` into ``key``; the count of tests Xray took."""
        if self.deployment == "cloud":
            urls = [join(self._api, "import/execution")]
        else:  # 2.0 first; the documented 1.0 where a site answers 2.0 with a 404
            urls = [
                join(self._api, "import/execution"),
                join(self.site + "/", "rest/raven/1.0/import/execution"),
            ]
        deadline = request.long_timeout(self._session)
        for index, url in enumerate(urls):
            doing = f"importing the results into {key}"
            text = answer(
                self._session,
                "POST",
                url,
                doing,
                json=payload,
                fallback=index + 1 < len(urls),
                timeout=deadline,
            )
            if text is not None:
                xray.imported(self.deployment, text, key)
                break
        return len(payload.get("tests", []))


def answer(
    session: ApiSession, method: str, url: str, doing: str, *, title: str = TITLE, **kwargs: Any
) -> str | None:
    """:func:`~.request.answer`, told which service answers (Xray, unless said: Zephyr
    Scale's uploads of a report are read the same way)."""
    return request.answer(session, method, url, doing, title=title, **kwargs)


class JUnitImport(Record):
    """The execution a report lands in: an existing one, or a new one in ``project``."""

    __slots__ = (  # noqa: RUF023  # the fields' order
        "project", "test_execution", "test_plan", "environments", "revision", "fix_version",
    )  # fmt: skip

    project: Final[str | None]
    test_execution: Final[str | None]
    test_plan: Final[str | None]
    environments: Final[tuple[str, ...]]
    revision: Final[str | None]
    fix_version: Final[str | None]

    def __init__(  # noqa: PLR0917  # every field by position too, as the dataclass it was
        self,
        project: str | None = None,
        test_execution: str | None = None,
        test_plan: str | None = None,
        environments: tuple[str, ...] = (),
        revision: str | None = None,
        fix_version: str | None = None,
    ) -> None:
        self.project = project
        self.test_execution = test_execution
        self.test_plan = test_plan
        self.environments = environments
        self.revision = revision
        self.fix_version = fix_version

    def query(self) -> dict[str, str]:
        """Xray's query parameters, those set only (environments ``;``-separated)."""
        given = {
            "projectKey": self.project,
            "testExecKey": self.test_execution,
            "testPlanKey": self.test_plan,
            "testEnvironments": ";".join(self.environments),
            "revision": self.revision,
            "fixVersion": self.fix_version,
        }
        return {name: value for name, value in given.items() if value}


def import_report(session: ApiSession, target: Target, path: Path, settings: JUnitImport) -> str:
    """Import the report at ``path``; the key of the Test Execution its runs landed in."""
    timeout = request.long_timeout(session)
    where = settings.test_execution or f"a new Test Execution in {settings.project}"
    doing = f"importing {path.name} into {where}"
    with path.open("rb") as file:
        sent: dict[str, Any]
        if target.deployment == "cloud":
            url = join(target.api_url, "import/execution/junit")
            sent = {"data": file, "headers": {"Content-Type": "text/xml"}}
        else:
            url = join(target.url + "/", "rest/raven/1.0/import/execution/junit")
            sent = {"files": {"file": (path.name, file, "text/xml")}}
        text = answer(session, "POST", url, doing, params=settings.query(), timeout=timeout, **sent)
    return landed(target.deployment, text or "", settings.test_execution)


def landed(deployment: str, body: str, expected: str | None) -> str:
    """The Test Execution an import's 2xx answer names; a :class:`PublishError` when it
    names none, names another than ``expected``, or (Data Center) rejects any test."""
    data = parsed(body)
    said = (
        found_at(data, "key") if deployment == "cloud" else found_at(data, "testExecIssue", "key")
    )
    if not isinstance(data, dict):
        raise PublishError(
            f"Xray answered the import with something that is not JSON: {quoted(body)}"
        )
    if expected is None and not (isinstance(said, str) and JIRA_KEY.fullmatch(said)):
        raise PublishError(
            f"Xray answered the import naming no Test Execution: {quoted(body)} (the results "
            "may have landed all the same: look in Xray before importing again)",
            ambiguous=True,
        )
    xray.imported(deployment, body, expected or str(said))
    return expected or str(said)
