"""One linked test's outcome, as pytest reports it, whether the test finished or not.

Plain code over report-like objects, without a run: the collector feeds it every report
of a linked test and gets back each attempt that ended. A setup error is ``error``, a
failed call ``failed``, a skip ``skipped``, an expected failure ``xfailed`` or ``xpassed``
(``report.wasxfail``), a teardown error ``error``; subtests' failures fail the test;
a rerun (pytest-rerunfailures' outcome ``rerun``) starts the test over, so the last
attempt counts.

A test that did not finish is an error when its xdist worker died. A worker that dies
mid-test leaves its test's attempt open, and the session's finish makes it an error. One
that dies before the test's first report leaves the controller only xdist's own report of
the crash, which carries no links: the links every worker posted before its tests ran
(through the broker, ``run/xdist/broker.py``) make it an error at once, and a worker that
posted whole and did not name it says it is not linked; without them (no broker: ``-p
no:tm_auth_xdist``, remote workers) the summary says the test's result is lost, never
silently. An interrupted run (Ctrl-C) leaves its open attempts out of the journal, and
says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pytest_tm_auth.results.model import worst
from pytest_tm_auth.run.plugin_base import posted_whole

#: Lines of a failure's text kept in a comment: the crash message, not the traceback.
FAILURE_LINES = 12
#: What each phase's failure is called in the comment.
PHASE_NAMES = {"setup": "setup error", "teardown": "teardown error"}
#: The phase of the report xdist's controller makes for a test whose worker died.
CRASHED = "???"
#: What the collector posts from each xdist worker: the links of its tests, by node id.
LINKS = "tm_links"
#: Why a test whose worker died is an error.
DIED = "the test did not finish (its worker crashed)"


class Attempt:
    """One attempt of one test, folded so far (a plain class: one is made per linked test
    as it is reported, and a dataclass costs more to define and to make)."""

    __slots__ = ("failures", "finish", "links", "outcome", "rerun", "start")

    def __init__(self, links: Any, start: float) -> None:
        self.links = links
        self.start = start
        self.outcome = "passed"
        #: Each failure's short text, in the order reported (not yet scrubbed).
        self.failures: list[str] = []
        #: pytest-rerunfailures will run the test again: this attempt does not count.
        self.rerun = False
        self.finish = 0.0


class Folds:
    """Open attempts by worker and node id (``--dist each`` runs a test once per worker)."""

    def __init__(self) -> None:
        self._open: dict[tuple[object, str], Attempt] = {}

    def add(self, report: Any, nodeid: str | None = None) -> Attempt | None:
        """Fold ``report`` in; the attempt it ends (its teardown), unless a rerun follows.

        ``nodeid``: the report's, when the caller read it already (pytest makes it anew on
        each read)."""
        key = (getattr(report, "worker_id", None), report.nodeid if nodeid is None else nodeid)
        when = report.when
        attempt = None if when == "setup" else self._open.get(key)
        if attempt is None:
            start = getattr(report, "start", None)
            start = start if type(start) is float else time.time()
            attempt = self._open[key] = Attempt(report.tm_links, start)
        outcome = report.outcome
        if outcome == "rerun":
            attempt.rerun = True
        elif outcome != "passed" or hasattr(report, "wasxfail"):
            outcome = phase_outcome(report)
            if outcome != "passed":
                attempt.outcome = worst((attempt.outcome, outcome))
                attempt.failures.append(short_text(report, outcome))
        if when != "teardown":
            return None
        del self._open[key]
        stop = getattr(report, "stop", None)
        attempt.finish = stop if type(stop) is float else time.time()
        return None if attempt.rerun else attempt

    def is_open(self, worker: object, nodeid: str) -> bool:
        """Whether ``worker`` reported ``nodeid``'s setup and not yet its teardown."""
        return (worker, nodeid) in self._open

    def unfinished(self) -> list[tuple[str, Attempt]]:
        """The attempts whose teardown never came (a crashed worker), by node id; cleared."""
        left = [(nodeid, attempt) for (_, nodeid), attempt in self._open.items()]
        self._open.clear()
        return left


def phase_outcome(report: Any) -> str:
    """What one report makes of its test (``passed`` when it changes nothing)."""
    when = report.when
    if hasattr(report, "context") and when == "call":  # a subtest: only its failure counts
        return "failed" if report.failed else "passed"
    if report.failed:
        return "failed" if when == "call" else "error"
    xfail = hasattr(report, "wasxfail")
    if report.skipped:
        return "xfailed" if xfail else "skipped"
    return "xpassed" if xfail and when == "call" else "passed"


def short_text(report: Any, outcome: str) -> str:
    """The failure's short text: the crash message, a skip's reason, an xfail's."""
    if outcome in ("xfailed", "xpassed"):
        reason = str(getattr(report, "wasxfail", "") or "")
        return f"{outcome}: {reason}" if reason else outcome
    longrepr = report.longrepr
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None and getattr(crash, "message", None):
        text = str(crash.message)
    elif isinstance(longrepr, tuple) and len(longrepr) == 3:
        text = str(longrepr[2])  # a skip: (path, line, "Skipped: reason")
    else:
        text = str(report.longreprtext)
    text = "\n".join(text.strip().splitlines()[:FAILURE_LINES])
    context = getattr(report, "context", None)
    if context is not None:
        return f"subtest {getattr(context, 'msg', None) or ''}: {text}".replace("  ", " ")
    name = PHASE_NAMES.get(report.when) if outcome == "error" else None
    return f"{name}: {text}" if name else text


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
