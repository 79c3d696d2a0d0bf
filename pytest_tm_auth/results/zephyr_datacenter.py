"""Zephyr Scale Data Center's requests for publishing (``{jira}/rest/atm/1.0/``, through
the run's ``zephyr`` session, which signs in to Jira).

A new test run holds every result from its one ``POST testrun`` (its ``items``); an
existing run takes them in one bulk ``POST testrun/{key}/testresults``. Evidence is attached
to each result once it exists (``POST testresult/{id}/attachments``, with Jira's
``X-Atlassian-Token: nocheck``), each attachment journaled so that a replay attaches none
twice. Two reads are not in the facts the project keeps (unconfirmed): the search of a
project's runs and the list of a run's results; an answer of another shape fails loudly,
naming it.
"""

from __future__ import annotations

import base64
from typing import Any

from pytest_tm_auth.results import request
from pytest_tm_auth.results import zephyr_payload as zephyr
from pytest_tm_auth.results.model import Ledger, Made, PublishError, ResultsLanded
from pytest_tm_auth.results.zephyr_client import PAGE_LIMIT, ZephyrClient, too_many

#: Items per page asked of the search: its default.
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
