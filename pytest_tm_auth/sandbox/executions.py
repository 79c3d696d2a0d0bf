"""Xray Test Executions that requests made, and the test runs imported into any of them.

Imports and creations come from handler threads while a test reads what landed, so every
change happens under one lock and every read returns plain copies. Created executions take
the keys after the seeded ones (``DEMO-461``, ...) and show in every issue search from then
on; runs are kept per execution and test key, so a re-import replaces a run, never adds a
second. StoredFile is kept as its file name and decoded size, never its bytes: a large import
costs the stand-in little memory.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import Any

from pytest_tm_auth.sandbox import catalog
from pytest_tm_auth.sandbox.catalog import Issue

__all__ = ["Details", "Execution", "Executions", "Iteration", "Run", "StoredFile", "seeded"]

EXECUTION = "Test Execution"


@functools.cache
def _seeded_by_key() -> dict[str, Issue]:
    return {issue.key: issue for issue in catalog.issues()}


def seeded(key: str) -> Issue | None:
    """The seeded issue with ``key``, if any."""
    return _seeded_by_key().get(key)


@dataclass(frozen=True)
class Iteration:
    name: str | None
    parameters: tuple[tuple[str, str], ...]
    status: str


@dataclass(frozen=True)
class StoredFile:
    """A file a result carries (Xray evidence, a Zephyr Scale attachment): its name, its
    decoded size and its type; its bytes are not kept."""

    filename: str
    size: int
    content_type: str | None


@dataclass(frozen=True)
class Run:
    """One test's result in an execution, as an import or a creation sent it."""

    test_key: str
    status: str
    comment: str | None = None
    start: str | None = None
    finish: str | None = None
    defects: tuple[str, ...] = ()
    iterations: tuple[Iteration, ...] = ()
    evidence: tuple[StoredFile, ...] = ()


@dataclass(frozen=True)
class Details:
    """What an execution says besides its runs; ``None`` leaves a stored value as it was."""

    environments: tuple[str, ...] | None = None
    test_plan: str | None = None
    version: str | None = None
    revision: str | None = None


@dataclass
class Execution:
    issue: Issue
    deployment: str
    created: bool
    details: Details = field(default_factory=Details)
    runs: dict[str, tuple[int, Run]] = field(default_factory=dict)

    def merge(self, update: Details) -> None:
        old = self.details
        self.details = Details(
            old.environments if update.environments is None else update.environments,
            update.test_plan or old.test_plan,
            update.version or old.version,
            update.revision or old.revision,
        )

    def snapshot(self) -> dict[str, Any]:
        details = self.details
        return {
            "key": self.issue.key,
            "id": str(self.issue.id),
            "summary": self.issue.summary,
            "project": self.issue.project,
            "labels": list(self.issue.labels),
            "deployment": self.deployment,
            "created": self.created,
            "environments": list(details.environments or ()),
            "test_plan": details.test_plan,
            "version": details.version,
            "revision": details.revision,
            "runs": {key: _run_snapshot(number, run) for key, (number, run) in self.runs.items()},
        }


def _run_snapshot(number: int, run: Run) -> dict[str, Any]:
    return {
        "id": number,
        "status": run.status,
        "comment": run.comment,
        "start": run.start,
        "finish": run.finish,
        "defects": list(run.defects),
        "iterations": [
            {
                "name": it.name,
                "parameters": [{"name": n, "value": v} for n, v in it.parameters],
                "status": it.status,
            }
            for it in run.iterations
        ],
        "evidence": [
            {"filename": e.filename, "size": e.size, "content_type": e.content_type}
            for e in run.evidence
        ],
    }


class Executions:
    """Created Test Executions and every execution's runs, behind one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executions: dict[str, Execution] = {}
        self._created: list[Issue] = []
        self._next_run = 0

    def create(
        self, summary: str, project: str, labels: tuple[str, ...], deployment: str, details: Details
    ) -> Issue:
        """A new Test Execution, keyed after the seeded issues and those created before."""
        with self._lock:
            number = catalog.XRAY_TESTS + catalog.XRAY_EXECUTIONS + len(self._created) + 1
            key = f"{project}-{number}"
            issue = Issue(10000 + number, key, project, EXECUTION, summary, labels=labels)
            self._created.append(issue)
            self._executions[issue.key] = Execution(issue, deployment, True, details)
            return issue

    def find(self, key: str) -> Issue | None:
        """The Test Execution ``key`` names, seeded or created; ``None`` if there is none."""
        with self._lock:
            known = self._executions.get(key)
        if known is not None:
            return known.issue
        issue = seeded(key)
        return issue if issue is not None and issue.type == EXECUTION else None

    def by_id(self, issue_id: str) -> Issue | None:
        with self._lock:
            created = [e.issue for e in self._executions.values() if str(e.issue.id) == issue_id]
        if created:
            return created[0]
        found = [i for i in catalog.issues() if str(i.id) == issue_id and i.type == EXECUTION]
        return found[0] if found else None

    def land(
        self, issue: Issue, runs: list[Run], deployment: str, details: Details
    ) -> list[tuple[int, Run]]:
        """Store ``runs`` in ``issue`` (an execution :meth:`find` gave), replacing earlier
        runs of the same tests, which keep their ids."""
        with self._lock:
            execution = self._executions.setdefault(issue.key, Execution(issue, deployment, False))
            execution.merge(details)
            landed = []
            for run in runs:
                number = execution.runs.get(run.test_key, (0, run))[0]
                if not number:
                    self._next_run += 1
                    number = self._next_run
                execution.runs[run.test_key] = (number, run)
                landed.append((number, run))
            return landed

    def runs(self, key: str) -> list[tuple[int, Run]]:
        """The runs of execution ``key``, in the order their tests first landed."""
        with self._lock:
            execution = self._executions.get(key)
            return list(execution.runs.values()) if execution is not None else []

    def environments(self, key: str) -> list[str]:
        with self._lock:
            execution = self._executions.get(key)
            return list(execution.details.environments or ()) if execution else []

    def issues(self) -> tuple[Issue, ...]:
        """Every Jira issue the searches see: the seeded ones, then the executions made."""
        with self._lock:
            return catalog.issues() + tuple(self._created)

    def snapshot(self) -> list[dict[str, Any]]:
        """Every execution that was created or received runs, as plain data, by key order."""
        with self._lock:
            executions = sorted(self._executions.values(), key=lambda e: e.issue.id)
            return [execution.snapshot() for execution in executions]

    def clear(self) -> None:
        with self._lock:
            self._executions.clear()
            self._created.clear()
            self._next_run = 0
