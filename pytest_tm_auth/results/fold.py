"""One linked test's phases folded into one outcome, as pytest reports them.

Plain code over report-like objects, without a run: the collector feeds it every report
of a linked test and gets back each attempt that ended. A setup error is ``error``, a
failed call ``failed``, a skip ``skipped``, an expected failure ``xfailed`` or ``xpassed``
(``report.wasxfail``), a teardown error ``error``; subtests' failures fail the test;
a rerun (pytest-rerunfailures' outcome ``rerun``) starts the test over, so the last
attempt counts.
"""

from __future__ import annotations

import time
from typing import Any

from pytest_tm_auth.results.model import worst

#: Lines of a failure's text kept in a comment: the crash message, not the traceback.
FAILURE_LINES = 12
#: What each phase's failure is called in the comment.
PHASE_NAMES = {"setup": "setup error", "teardown": "teardown error"}


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
