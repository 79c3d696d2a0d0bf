"""Zephyr Scale's requests for publishing, both deployments, through the run's ``zephyr``
session: Cloud (API v2, the bearer token) and Data Center (``{jira}/rest/atm/1.0/``, Jira's
login).

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

Data Center's evidence is attached to each result once it exists (``POST
testresult/{id}/attachments``, with Jira's ``X-Atlassian-Token: nocheck``), each attachment
journaled so that a replay attaches none twice. Two of its reads are not in the facts the
project keeps (unconfirmed): the search of a project's runs and the list of a run's results;
an answer of another shape fails loudly, naming it.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from pytest_tm_auth.core.urls import join
from pytest_tm_auth.results import request
from pytest_tm_auth.results import zephyr_payload as zephyr
from pytest_tm_auth.results.model import Ledger, Made, PublishError, ResultsLanded
from pytest_tm_auth.results.zephyr_automation import (
    RESULTS,
    UploadTooLarge,
    custom_zip,
    upload_parts,
)

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
#: Items per page asked of Data Center's search: its default.
DATACENTER_PAGE = 200
#: Data Center's names for the fields of a result (the payload holds Cloud's).
DATACENTER_FIELDS = {
    "testCaseKey": "testCaseKey",
    "statusName": "status",
    "environmentName": "environment",
    "comment": "comment",
    "executionTime": "executionTime",
    "actualEndDate": "executionDate",
}


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


class ZephyrDataCenterClient(ZephyrClient):
    """Publishing's requests to Zephyr Scale Data Center."""

    def _search(self, label: str, project: str) -> list[str]:
        # ``GET testrun/search`` with Zephyr Scale's query language: not in the facts the
        # project keeps (unconfirmed); an answer of another shape fails loudly, naming it.
        doing = "searching the project's test runs"
        for page in range(PAGE_LIMIT):
            params = {
                "query": f'projectKey = "{project}"',
                "fields": "key,name",
                "maxResults": DATACENTER_PAGE,
                "startAt": page * DATACENTER_PAGE,
            }
            text = self._answer("GET", "testrun/search", doing, params=params, changes=False)
            runs = zephyr.datacenter_list(text, doing)
            found = zephyr.labelled(runs, label, "name")
            if found or len(runs) < DATACENTER_PAGE:
                return found
        raise too_many(project, "test runs")

    def create(self, label: str, settings: Any, title: str, payload: dict[str, Any]) -> Made:
        """A new test run holding every result, in one request; never retried once it may
        exist. Its name carries the run's label: the search reads names."""
        cycle = payload.get("testCycle") or {}
        name = str(cycle.get("name") or title)
        if label not in name:
            name = f"{name[: zephyr.NAME_LIMIT - len(label) - 3]} [{label}]"
        project = str(payload.get("projectKey"))
        body = {"name": name, "projectKey": project, "items": _items(payload["executions"])}
        doing = "creating the test run"
        text = self._answer("POST", "testrun", doing, json=body, timeout=self._long())
        return Made(zephyr.run_made(text, project), filled=True)

    def send(self, payload: dict[str, Any], key: str, ledger: Ledger) -> int:
        """Land the results not landed yet in run ``key`` (one request), then each file; the
        count of results the run holds from this run."""
        executions = payload["executions"]
        if not ledger.filled:
            self._datacenter_send(executions, key, ledger)
        if any(execution.get("attachments") for execution in executions):
            try:
                self._attach(executions, key, ledger)
            except PublishError as error:  # the results are in: said so, with what is not
                left = sum(
                    f"{e['testCaseKey']}/attachment/{number}" not in ledger.done
                    for e in executions
                    for number in range(len(e.get("attachments") or ()))
                )
                raise ResultsLanded(
                    f"{left} attachment(s) not: {error}", key, ambiguous=error.ambiguous
                ) from None
        return len(executions)

    def _datacenter_send(self, executions: list[dict[str, Any]], key: str, ledger: Ledger) -> None:
        if ledger.unsure:
            for case, given in self._datacenter_landed(key, ledger.label).items():
                if case not in ledger.done:
                    ledger.note(case, given)
        left = [
            execution for execution in executions if execution["testCaseKey"] not in ledger.done
        ]
        if not left:
            return
        path = f"testrun/{key}/testresults"
        doing = f"sending the results into {key}"
        text = self._answer("POST", path, doing, json=_items(left), timeout=self._long())
        for execution, given in zip(left, zephyr.result_ids(text, len(left)), strict=True):
            ledger.note(execution["testCaseKey"], given)

    def _datacenter_landed(self, key: str, label: str) -> dict[str, str]:
        """The results of run ``key`` that carry ``label``, by test case, with their ids.
        ``GET testrun/{key}/testresults``: not in the facts the project keeps (unconfirmed)."""
        doing = f"listing the results of {key}"
        text = self._answer("GET", f"testrun/{key}/testresults", doing, changes=False)
        return zephyr.carrying_ids(zephyr.datacenter_list(text, doing), label)

    def _long(self) -> float:
        return request.long_timeout(self._session)

    def _attach(self, executions: list[dict[str, Any]], key: str, ledger: Ledger) -> None:
        """Each file onto its result (once it exists), each journaled as it lands."""
        ids = {case: given for case, given in ledger.done.items() if given and "/" not in case}
        if any(e["testCaseKey"] not in ids for e in executions if e.get("attachments")):
            ids.update(self._datacenter_landed(key, ledger.label))
        for execution in executions:
            case = execution["testCaseKey"]
            for number, item in enumerate(execution.get("attachments") or ()):
                done = f"{case}/attachment/{number}"
                if done in ledger.done:
                    continue
                result = ids.get(case)
                if not result:
                    raise PublishError(f"the result of {case} in {key} is not found to attach to")
                self._attach_one(result, item, case)
                ledger.note(done, result)

    def _attach_one(self, result: str, item: dict[str, Any], case: str) -> None:
        try:
            data = base64.b64decode(str(item.get("data") or ""), validate=True)
        except ValueError:
            raise PublishError(f"an attachment of {case} is not base64") from None
        files = {"file": (str(item.get("filename")), data, str(item.get("contentType")))}
        self._answer(
            "POST",
            f"testresult/{result}/attachments",
            f"attaching a file to the result of {case}",
            files=files,
            headers={"X-Atlassian-Token": "nocheck"},
        )


def _items(executions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Data Center's results: its own field names."""
    return [
        {DATACENTER_FIELDS[name]: value for name, value in e.items() if name in DATACENTER_FIELDS}
        for e in executions
    ]
