"""Linked tests that did not finish: their xdist worker died, or the run was interrupted.

A worker that dies mid-test leaves its test's attempt open, and the session's finish makes
it an error. One that dies before the test's first report leaves the controller only
xdist's own report of the crash, which carries no links: the links every worker posted
before its tests ran (through the broker, ``run/xdist/broker.py``) make it an error at once,
and a worker that posted whole and did not name it says it is not linked; without them (no
broker: ``-p no:tm_auth_xdist``, remote workers) the summary says the test's result is
lost, never silently. An interrupted run (Ctrl-C) leaves its open attempts out of the
journal, and says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pytest_tm_auth.results.fold import Attempt, Folds
from pytest_tm_auth.run.plugin_base import posted_whole

#: The phase of the report xdist's controller makes for a test whose worker died.
CRASHED = "???"
#: What the collector posts from each xdist worker: the links of its tests, by node id.
LINKS = "tm_links"
#: Why a test whose worker died is an error.
DIED = "the test did not finish (its worker crashed)"


class Unfinished:
    """The tests of one run that did not finish; :attr:`notes` says what the journal lacks."""

    def __init__(
        self,
        folds: Folds,
        scrub: Callable[[str], str],
        services: Iterable[str],
        posted: Callable[[], Mapping[str, Any]],
    ) -> None:
        self._folds = folds
        self._scrub = scrub
        self._services = tuple(services)
        #: What the workers posted (read on a crash only).
        self._posted = posted
        #: Tests the journal holds no result of, and why: one line each, for the summary.
        self.notes: list[str] = []

    def crashed(self, report: Any, nodeid: str) -> Attempt | None:
        """xdist's report that a worker died running ``nodeid``: the attempt it ends, when
        the test never reported and its links were posted (an open one ends at the finish)."""
        worker = crashed_worker(report)
        if report.outcome != "failed" or self._folds.is_open(worker, nodeid):
            return None  # a rerun was scheduled (pytest-rerunfailures), or see ended()
        posted = self._posted()
        links = posted_links(posted, nodeid, self._services)
        if links is None and posted_whole(posted, LINKS, worker):
            return None  # its worker posted every link it had: the test is not linked
        if links is None:
            self.notes.append(
                f"{self._scrub(nodeid)}: its worker crashed before the test reported: its "
                "result, if it is linked, is not in the journal and was not published"
            )
            return None
        attempt = Attempt(links, time.time())
        attempt.outcome = "error"
        attempt.failures.append(f"setup error: {DIED}")
        attempt.finish = attempt.start
        return attempt

    def ended(self, interrupted: bool) -> list[tuple[str, Attempt]]:
        """At the session's finish, the attempts still open, ended as errors (their worker
        died mid-test); none when the run was ``interrupted``: those are said left out."""
        ended = []
        for nodeid, attempt in self._folds.unfinished():
            if interrupted:
                self.notes.append(
                    f"{self._scrub(nodeid)}: interrupted before it finished: not in the journal"
                )
                continue
            attempt.outcome = "error"
            attempt.failures.append(DIED)
            attempt.finish = time.time()
            ended.append((nodeid, attempt))
        return ended


def posted_links(
    posted: Mapping[str, Any], nodeid: str, services: Iterable[str]
) -> dict[str, list[str]] | None:
    """The links a worker posted for ``nodeid`` (plain data from another process: only
    lists of text under the services' names and ``defects``), else ``None``."""
    found = posted.get(LINKS)
    links = found.get(nodeid) if isinstance(found, dict) else None
    if not isinstance(links, dict):
        return None
    names = {*services, "defects"}
    kept = {
        name: [key for key in keys if isinstance(key, str)]
        for name, keys in links.items()
        if name in names and isinstance(keys, list)
    }
    return kept if any(kept.get(name) for name in services) else None


def crashed_worker(report: Any) -> object:
    """The id of the worker a crash report names (``gw0``), as its own reports carry it."""
    workerinput = getattr(getattr(report, "node", None), "workerinput", None)
    return workerinput.get("workerid") if isinstance(workerinput, dict) else None
