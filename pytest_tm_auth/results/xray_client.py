"""Xray's requests for publishing: create a Test Execution, find one by its label, import.

Every request goes through the run's provider session (its token, renewal, timeout,
retries). A request that creates something is never retried once it may have reached Xray
(urllib3 retries no POST after a read error, and :func:`~pytest_tm_auth.http.session.sending`
says a lost answer as such): its outcome is unknown, and the journal says what to look for.
Each answer is read bounded, then by :mod:`.xray` as untrusted input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pytest_tm_auth.core.errors import AuthError
from pytest_tm_auth.core.text import inert
from pytest_tm_auth.core.urls import join
from pytest_tm_auth.http.bounded import read_bounded
from pytest_tm_auth.http.diagnose import server_reason
from pytest_tm_auth.http.session import AnswerLost, explained, sending
from pytest_tm_auth.results import xray_payload as xray
from pytest_tm_auth.results.xray_payload import PublishError, XraySettings

if TYPE_CHECKING:
    from pytest_tm_auth.core.provider import Target
    from pytest_tm_auth.http.session import ApiSession

#: The most of an answer read: Data Center lists every imported key (10,000 fit).
ANSWER_LIMIT = 4 * 1024 * 1024
#: The least time an import attempt gets (the run's timeout when longer): Xray takes a
#: while over thousands of results, and a lost import answer is an outcome unknown.
IMPORT_TIMEOUT = 120.0
#: A gateway's answers: the request may have reached Xray behind it, and taken effect.
GATEWAY_STATUSES = (502, 503, 504)
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

    def find(self, label: str) -> tuple[str, str] | None:
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
        return matches[0] if matches else None

    def create(self, label: str, settings: XraySettings, summary: str) -> tuple[str, str]:
        """A new Test Execution labelled ``label``; never retried once it may exist."""
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
        return xray.created(self.deployment, text or "")

    def send(self, payload: dict[str, Any], key: str) -> int:
        """Import ``payload`` into ``key``; the count of tests Xray took."""
        if self.deployment == "cloud":
            urls = [join(self._api, "import/execution")]
        else:  # 2.0 first; the documented 1.0 where a site answers 2.0 with a 404
            urls = [
                join(self._api, "import/execution"),
                join(self.site + "/", "rest/raven/1.0/import/execution"),
            ]
        deadline = max(float(getattr(self._session, "timeout", 0) or 0), IMPORT_TIMEOUT)
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


def _shown(url: str) -> str:
    parts = urlsplit(url)
    return inert(f"{parts.scheme}://{parts.netloc}{parts.path}", 200)


def answer(
    session: ApiSession,
    method: str,
    url: str,
    doing: str,
    *,
    fallback: bool = False,
    changes: bool = True,
    title: str = TITLE,
    **kwargs: Any,
) -> str | None:
    """The 2xx answer's text (``None`` for a 404 with a ``fallback`` left); any other
    answer, or none, a :class:`PublishError` naming ``doing``. ``changes``: the request
    creates or imports, so a lost answer, or a gateway's 502/503/504, is an outcome
    unknown; a read (a search) that fails is only a failure. ``title``: the service, as
    messages name it (Zephyr Scale's uploads are read the same way)."""
    try:
        with sending(title, url) if changes else explained(title, url):
            response = session.request(method, url, stream=True, **kwargs)
            with response:
                read_bounded(response, ANSWER_LIMIT)
    except AnswerLost as lost:
        raise PublishError(
            f"{doing}: {lost.problem}: the outcome is unknown", ambiguous=True
        ) from None
    except AuthError as error:  # no connection: the request never reached Xray
        raise PublishError(f"{doing}: {error.problem} at {_shown(url)}") from None
    if response.status_code == 404 and fallback:
        return None
    if not 200 <= response.status_code < 300:
        reason = server_reason(response)
        said = f"HTTP {response.status_code}" + (f": {reason}" if reason else "")
        if changes and response.status_code in GATEWAY_STATUSES:
            raise PublishError(
                f"{doing}: a gateway answered {said} at {_shown(url)}: the request may have "
                f"reached {title} behind it: the outcome is unknown",
                ambiguous=True,
            )
        raise PublishError(f"{doing}: {title} answered {said} at {_shown(url)}")
    return response.text
