"""Zephyr Scale's requests for publishing, Cloud (API v2, the bearer token; here) and Data
Center (``{jira}/rest/atm/1.0/``, Jira's login; :mod:`.zephyr_datacenter`), through the run's
``zephyr`` session.

A new cycle (Cloud) or test run (Data Center) is made **with every result in one request**:
Cloud's custom upload, Data Center's ``POST testrun`` with its ``items``. Before it, the
project's cycles or runs are listed for one carrying the run's label: an upload whose
answer was lost is found there, never sent again. Into an existing cycle, Cloud takes one
``POST /v2/testexecutions`` per test case (paced by the run's rate budget), each journaled
as it lands; Data Center one bulk ``POST testrun/{key}/testresults``. A replay after an
answer was lost (or a kill: the user's cycle or run is journaled before the first result
goes) first lists what the cycle or run holds with the run's label (every comment starts
with it, put back after a team's hook). The requests that carry a whole run's results get
the import's timeout (:func:`~.request.long_timeout`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_tm_auth.core.urls import join
from pytest_tm_auth.results import request
from pytest_tm_auth.results import zephyr_payload as zephyr
from pytest_tm_auth.results.model import Ledger, Made, PublishError
from pytest_tm_auth.results.zephyr_custom import RESULTS, UploadTooLarge, custom_zip, upload_parts

if TYPE_CHECKING:
    from pytest_tm_auth.core.provider import Target
    from pytest_tm_auth.http.session import ApiSession

TITLE = "Zephyr Scale"
#: Items per page asked of Cloud's lists: its most.
CLOUD_PAGE = 1000
#: Pages read of one list at most: a project with more cycles than this is not searched
#: through (the run says so, and how to go on: give the cycle).
PAGE_LIMIT = 50
#: What the payload holds for the run's own use, not a field of the Cloud API.
LOCAL_FIELDS = ("source", "attachments")


class ZephyrClient:
    """What Zephyr Scale's clients share: the session, a request's answer, the search by
    label before a cycle or run is made (one made with every result: ``filled``)."""

    service = zephyr.SERVICE

    def __init__(self, session: ApiSession, target: Target) -> None:
        self._session = session
        self.deployment = target.deployment
        self._api = target.api_url

    def browse(self, key: str) -> str:
        return ""  # a cycle's page is known only from an upload's answer

    def _answer(self, method: str, path: str, doing: str, **kwargs: Any) -> str:
        url = join(self._api, path)
        return request.answer(self._session, method, url, doing, title=TITLE, **kwargs) or ""

    def find(self, label: str, settings: Any, payload: dict[str, Any]) -> Made | None:
        """The cycle or run made with ``label`` by an earlier attempt, if any (it holds the
        results: it was made with them)."""
        found = self._search(label, str(payload.get("projectKey")))
        return Made(found[0], filled=True) if found else None

    def _search(self, label: str, project: str) -> list[str]:
        raise NotImplementedError


class ZephyrCloudClient(ZephyrClient):
    """Publishing's requests to Zephyr Scale Cloud."""

    def _search(self, label: str, project: str) -> list[str]:
        doing = "listing the project's test cycles"
        for page in range(PAGE_LIMIT):
            params = {"projectKey": project, "maxResults": CLOUD_PAGE, "startAt": page * CLOUD_PAGE}
            text = self._answer("GET", "testcycles", doing, params=params, changes=False)
            values, last = zephyr.cloud_page(text, doing)
            found = zephyr.labelled(values, label, "name", "description")
            if found or last:
                return found
        raise too_many(project, "test cycles")

    def create(self, label: str, settings: Any, title: str, payload: dict[str, Any]) -> Made:
        """A new cycle holding every result: one custom upload; never retried once it may
        exist."""
        project = str(payload.get("projectKey"))
        cycle = {"name": title, **(payload.get("testCycle") or {})}  # checked: text
        described = str(cycle.get("description") or "")
        if label not in str(cycle.get("name")) and label not in described:
            cycle["description"] = f"{described} [{label}]".strip()  # what the search reads
        return self._upload(project, cycle, payload["executions"])

    def _upload(self, project: str, cycle: dict[str, Any], executions: list[Any]) -> Made:
        documented = [
            {
                "source": str(execution.get("source") or execution["testCaseKey"]),
                "result": _result(execution),
                "testCase": {"key": execution["testCaseKey"]},
            }
            for execution in executions
        ]
        try:
            data = custom_zip(documented)
        except UploadTooLarge as error:
            raise PublishError(
                f"{error}: give --zephyr-test-cycle to send them one by one"
            ) from None
        files = upload_parts(("results.zip", data, "application/zip"), cycle)
        params = {"projectKey": project, "autoCreateTestCases": "false"}
        doing = "uploading the results into a new test cycle"
        text = self._answer(
            "POST",
            "automations/executions/custom",
            doing,
            files=files,
            params=params,
            timeout=request.long_timeout(self._session),
        )
        key, url = zephyr.uploaded(text, project=project)
        return Made(key, url=url, filled=True)

    def send(self, payload: dict[str, Any], key: str, ledger: Ledger) -> int:
        """Land each execution not landed yet in cycle ``key``, one request each; the count
        of results the cycle holds from this run."""
        executions = payload["executions"]
        if not ledger.filled:
            self._cloud_send(str(payload.get("projectKey")), executions, key, ledger)
        return len(executions)

    def _cloud_send(
        self, project: str, executions: list[dict[str, Any]], key: str, ledger: Ledger
    ) -> None:
        if ledger.unsure:  # an answer may have been lost: what landed is not sent again
            for case in self._cloud_landed(project, key, ledger.label):
                if case not in ledger.done:
                    ledger.note(case, "")
        for execution in executions:
            case = execution["testCaseKey"]
            if case in ledger.done:
                continue
            body = {**_fields(execution), "projectKey": project, "testCycleKey": key}
            url = join(self._api, "testexecutions")
            text, location = request.located(
                self._session, "POST", url, f"sending the result of {case}", title=TITLE, json=body
            )
            ledger.note(case, zephyr.execution_id(text, location))

    def _cloud_landed(self, project: str, key: str, label: str) -> set[str]:
        """The test cases of ``key``'s executions whose comment carries ``label``."""
        doing = f"listing the executions of {key}"
        landed: set[str] = set()
        for page in range(PAGE_LIMIT):
            params = {
                "projectKey": project,
                "testCycle": key,
                "maxResults": CLOUD_PAGE,
                "startAt": page * CLOUD_PAGE,
            }
            text = self._answer("GET", "testexecutions", doing, params=params, changes=False)
            values, last = zephyr.cloud_page(text, doing)
            landed |= zephyr.carrying(values, label)
            if last:
                return landed
        raise too_many(key, "executions")


def _fields(execution: dict[str, Any]) -> dict[str, Any]:
    """The execution's fields the Cloud API takes (a team's hook may have added some)."""
    return {name: value for name, value in execution.items() if name not in LOCAL_FIELDS}


def _result(execution: dict[str, Any]) -> str:
    status = execution.get("statusName")
    if status not in RESULTS:
        shown = str(status)[:40]
        raise PublishError(
            f"the status {shown!r} of {execution['testCaseKey']} has no name in Zephyr Scale's "
            f"upload format ({', '.join(RESULTS)})"
        )
    return RESULTS[str(status)]


def too_many(where: str, what: str) -> PublishError:
    return PublishError(
        f"{where} lists more than {PAGE_LIMIT} pages of {what}: the run's own is not looked "
        "for further; give --zephyr-test-cycle to publish into a cycle you choose"
    )
