"""Xray's JUnit import of a report file: one request, its answer read as untrusted input.

Cloud takes the XML as the body (``POST {xray}/api/v2/import/execution/junit``), Data Center
as the multipart part ``file`` (``POST {jira}/rest/raven/1.0/import/execution/junit``); both
take the execution's settings in the query. The file goes as it is, streamed from the disk:
it is the user's own report, read and checked by :mod:`.junit` before this is called.
The request is the run's (the provider's session: its login, retries and renewal) and, as
every import, is never retried once it may have reached Xray.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_tm_auth.core.urls import join
from pytest_tm_auth.results.answers import found_at, parsed, quoted
from pytest_tm_auth.results.model import JIRA_KEY, PublishError
from pytest_tm_auth.results.request import long_timeout
from pytest_tm_auth.results.xray_client import answer
from pytest_tm_auth.results.xray_payload import imported

if TYPE_CHECKING:
    from pytest_tm_auth.core.provider import Target
    from pytest_tm_auth.http.session import ApiSession


@dataclass(frozen=True)
class JUnitImport:
    """The execution a report lands in: an existing one, or a new one in ``project``."""

    project: str | None = None
    test_execution: str | None = None
    test_plan: str | None = None
    environments: tuple[str, ...] = ()
    revision: str | None = None
    fix_version: str | None = None

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
    timeout = long_timeout(session)
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
    imported(deployment, body, expected or str(said))
    return expected or str(said)
