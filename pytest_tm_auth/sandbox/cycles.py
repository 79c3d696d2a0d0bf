"""Zephyr Scale test cycles (Cloud) and test runs (Data Center), and the results in them.

Requests add to them from handler threads while a test reads what landed, so every change
happens under one lock and every read returns plain copies. Cycles made on Cloud take the
keys after the seeded ones (``DEMO-R27``, ...); Data Center's test runs start at
``DEMO-C1``. A result is never replaced: the services keep every execution, so a second
upload of the same test shows as a second execution, the case a publisher must avoid.
Attachments are kept as name and size, never their bytes.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from pytest_tm_auth.sandbox.catalog import ZEPHYR_CASES, ZEPHYR_CYCLES, zephyr_cases, zephyr_cycles
from pytest_tm_auth.sandbox.executions import StoredFile

__all__ = ["Cycle", "Cycles", "Outcome"]


@dataclass(frozen=True)
class Outcome:
    """One test case's result as a request sent it."""

    test_case: str
    status: str
    environment: str | None = None
    comment: str | None = None
    execution_time: int | None = None
    ended: str | None = None
    source: str | None = None


@dataclass
class _Stored:
    id: int
    outcome: Outcome
    attachments: list[StoredFile] = field(default_factory=list)


@dataclass
class Cycle:
    key: str
    id: int
    name: str
    project: str
    deployment: str
    created: bool
    origin: str
    results: list[_Stored] = field(default_factory=list)
    description: str = ""

    def snapshot(self) -> dict[str, Any]:
        executions: dict[str, list[dict[str, Any]]] = {}
        for stored in self.results:
            seen = asdict(stored.outcome) | {"id": stored.id}
            seen["attachments"] = [asdict(a) for a in stored.attachments]
            executions.setdefault(stored.outcome.test_case, []).append(seen)
        return {
            "key": self.key,
            "id": self.id,
            "name": self.name,
            "project": self.project,
            "deployment": self.deployment,
            "created": self.created,
            "origin": self.origin,
            "description": self.description,
            "executions": executions,
        }


class Cycles:
    """Cycles and runs made or filled, their results by id, and test cases made by uploads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cycles: dict[tuple[str, str], Cycle] = {}
        self._made = {"cloud": 0, "datacenter": 0}
        self._results: dict[int, _Stored] = {}
        self._cases: dict[str, str] = {}  # name -> key, made by autoCreateTestCases

    def create(
        self, project: str, name: str, deployment: str, origin: str, description: str = ""
    ) -> Cycle:
        """A new cycle (Cloud, after the seeded ones) or test run (Data Center)."""
        with self._lock:
            self._made[deployment] += 1
            number = self._made[deployment]
            if deployment == "cloud":
                number += ZEPHYR_CYCLES + 1  # after DEMO-R1 ... DEMO-R25 and SBX-R1
            letter = "R" if deployment == "cloud" else "C"
            cycle = Cycle(
                f"{project}-{letter}{number}", number, name, project, deployment, True, origin
            )
            cycle.description = description
            self._cycles[(deployment, cycle.key)] = cycle
            return cycle

    def exists(self, key: str, deployment: str) -> bool:
        with self._lock:
            if (deployment, key) in self._cycles:
                return True
        return deployment == "cloud" and any(c.key == key for c in zephyr_cycles())

    def add(self, key: str, deployment: str, outcomes: list[Outcome]) -> list[int]:
        """Store ``outcomes`` in the cycle ``key`` (one :meth:`exists` knows); their ids."""
        with self._lock:
            cycle = self._cycles.get((deployment, key))
            if cycle is None:
                seeded = next(c for c in zephyr_cycles() if c.key == key)
                cycle = Cycle(key, seeded.id, seeded.name, seeded.project, deployment, False, "")
                self._cycles[(deployment, key)] = cycle
            ids = []
            for outcome in outcomes:
                stored = _Stored(len(self._results) + 1, outcome)
                self._results[stored.id] = stored
                cycle.results.append(stored)
                ids.append(stored.id)
            return ids

    def results(self, key: str, deployment: str) -> list[dict[str, Any]] | None:
        """The results stored in cycle or run ``key`` (id, test case, status, comment), or
        ``None`` when it holds none."""
        with self._lock:
            cycle = self._cycles.get((deployment, key))
            if cycle is None:
                return None
            return [
                {
                    "id": stored.id,
                    "testCaseKey": stored.outcome.test_case,
                    "status": stored.outcome.status,
                    "comment": stored.outcome.comment,
                }
                for stored in cycle.results
            ]

    def attach(self, result_id: int, attachment: StoredFile) -> int | None:
        """Attach to result ``result_id``; the attachment's number, ``None`` if no result."""
        with self._lock:
            stored = self._results.get(result_id)
            if stored is None:
                return None
            stored.attachments.append(attachment)
            return sum(len(s.attachments) for s in self._results.values())

    def case_key(self, key: str | None, name: str | None) -> str | None:
        """The test case a key or a name names, seeded or made by an upload."""
        with self._lock:
            made = dict(self._cases)
        if key is not None:
            known = key in made.values() or any(c.key == key for c in zephyr_cases())
            return key if known else None
        if name is None:
            return None
        found = next((c.key for c in zephyr_cases() if c.name == name), None)
        return found or made.get(name)

    def new_case(self, project: str, name: str) -> str:
        """A test case made by an upload with ``autoCreateTestCases=true``."""
        with self._lock:
            if name not in self._cases:
                self._cases[name] = f"{project}-T{ZEPHYR_CASES + len(self._cases) + 1}"
            return self._cases[name]

    def snapshot(self, deployment: str) -> list[dict[str, Any]]:
        with self._lock:
            found = [c for (where, _), c in self._cycles.items() if where == deployment]
            return [cycle.snapshot() for cycle in sorted(found, key=lambda c: c.id)]

    def clear(self) -> None:
        with self._lock:
            self._cycles.clear()
            self._made = {"cloud": 0, "datacenter": 0}
            self._results.clear()
            self._cases.clear()
