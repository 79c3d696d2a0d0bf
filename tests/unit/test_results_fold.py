"""Folding a linked test's phases into one outcome, with small report fakes (no pytest run)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from pytest_tm_auth.results.fold import Attempt, Folds, phase_outcome, short_text

LINKS = {"xray": ["DEMO-1"], "defects": []}


@dataclass
class Crash:
    message: str


@dataclass
class Longrepr:
    reprcrash: Crash


@dataclass
class Context:
    msg: str | None


@dataclass
class FakeReport:
    """What the folding reads of a ``TestReport``."""

    when: str
    outcome: str = "passed"
    nodeid: str = "test_a.py::test_one"
    longrepr: Any = None
    longreprtext: str = ""
    tm_links: Any = field(default_factory=lambda: LINKS)
    start: float = 10.0
    stop: float = 11.0

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    @property
    def failed(self) -> bool:
        return self.outcome == "failed"

    @property
    def skipped(self) -> bool:
        return self.outcome == "skipped"


def failed(when: str, message: str, **extra: Any) -> FakeReport:
    report = FakeReport(when, "failed", longrepr=Longrepr(Crash(message)), **extra)
    return report


def xfail(report: FakeReport, reason: str) -> FakeReport:
    report.wasxfail = reason  # type: ignore[attr-defined]
    return report


def subtest(outcome: str, msg: str, message: str = "") -> FakeReport:
    report = FakeReport("call", outcome, longrepr=Longrepr(Crash(message)) if message else None)
    report.context = Context(msg)  # type: ignore[attr-defined]
    return report


def fold(*reports: FakeReport) -> list[Attempt]:
    folds = Folds()
    return [attempt for report in reports if (attempt := folds.add(report)) is not None]


def one(*reports: FakeReport) -> Attempt:
    ended = fold(*reports)
    assert len(ended) == 1
    return ended[0]


def test_three_passing_phases_are_one_passed_result_with_its_times() -> None:
    attempt = one(FakeReport("setup", start=5.0), FakeReport("call"), FakeReport("teardown"))
    assert (attempt.outcome, attempt.failures, attempt.start, attempt.finish) == (
        "passed",
        [],
        5.0,
        11.0,
    )
    assert attempt.links is LINKS


def test_only_the_teardown_ends_a_test() -> None:
    assert fold(FakeReport("setup"), FakeReport("call")) == []


def test_a_setup_error_is_an_error_named_as_such() -> None:
    attempt = one(failed("setup", "fixture broke"), FakeReport("teardown"))
    assert attempt.outcome == "error"
    assert attempt.failures == ["setup error: fixture broke"]


def test_a_failed_call_is_failed_with_its_crash_message() -> None:
    attempt = one(FakeReport("setup"), failed("call", "assert 1 == 2"), FakeReport("teardown"))
    assert (attempt.outcome, attempt.failures) == ("failed", ["assert 1 == 2"])


def test_a_teardown_error_after_a_pass_is_an_error() -> None:
    attempt = one(FakeReport("setup"), FakeReport("call"), failed("teardown", "close failed"))
    assert (attempt.outcome, attempt.failures) == ("error", ["teardown error: close failed"])


def test_a_teardown_error_after_a_failure_keeps_both_texts() -> None:
    attempt = one(FakeReport("setup"), failed("call", "boom"), failed("teardown", "close failed"))
    assert attempt.outcome == "error"
    assert attempt.failures == ["boom", "teardown error: close failed"]


def test_a_skip_is_skipped_with_its_reason() -> None:
    skipped = FakeReport("setup", "skipped", longrepr=("test_a.py", 3, "Skipped: no network"))
    attempt = one(skipped, FakeReport("teardown"))
    assert (attempt.outcome, attempt.failures) == ("skipped", ["Skipped: no network"])


def test_an_expected_failure_is_xfailed_and_an_unexpected_pass_xpassed() -> None:
    xfailed = xfail(FakeReport("call", "skipped"), "known bug")
    assert one(FakeReport("setup"), xfailed, FakeReport("teardown")).outcome == "xfailed"
    xpassed = xfail(FakeReport("call", "passed"), "known bug")
    attempt = one(FakeReport("setup"), xpassed, FakeReport("teardown"))
    assert (attempt.outcome, attempt.failures) == ("xpassed", ["xpassed: known bug"])


def test_an_xfail_that_never_runs_is_xfailed_at_setup() -> None:
    not_run = xfail(FakeReport("setup", "skipped"), "run=False")
    assert one(not_run, FakeReport("teardown")).outcome == "xfailed"


def test_a_rerun_starts_the_test_over_and_the_last_attempt_counts() -> None:
    first = (FakeReport("setup"), failed("call", "flaky"), FakeReport("teardown"))
    first[1].outcome = "rerun"
    second = (FakeReport("setup", start=20.0), FakeReport("call"), FakeReport("teardown"))
    attempt = one(*first, *second)
    assert (attempt.outcome, attempt.failures, attempt.start) == ("passed", [], 20.0)


def test_reruns_that_all_fail_end_failed_once() -> None:
    rerun = failed("call", "flaky")
    rerun.outcome = "rerun"
    last = (FakeReport("setup"), failed("call", "still flaky"), FakeReport("teardown"))
    attempt = one(FakeReport("setup"), rerun, FakeReport("teardown"), *last)
    assert (attempt.outcome, attempt.failures) == ("failed", ["still flaky"])


def test_a_failed_subtest_fails_a_passing_test_and_a_skipped_one_does_not() -> None:
    attempt = one(
        FakeReport("setup"),
        subtest("failed", "case 2", "assert 2 == 3"),
        subtest("skipped", "case 3"),
        FakeReport("call"),
        FakeReport("teardown"),
    )
    assert (attempt.outcome, attempt.failures) == ("failed", ["subtest case 2: assert 2 == 3"])
    assert one(FakeReport("setup"), subtest("skipped", "x"), FakeReport("teardown")).outcome == (
        "passed"
    )


def test_each_worker_runs_its_own_attempt_under_dist_each() -> None:
    def on(worker: str, report: FakeReport) -> FakeReport:
        report.worker_id = worker  # type: ignore[attr-defined]
        return report

    ended = fold(
        on("gw0", FakeReport("setup")),
        on("gw1", FakeReport("setup")),
        on("gw1", failed("call", "only on gw1")),
        on("gw0", FakeReport("call")),
        on("gw0", FakeReport("teardown")),
        on("gw1", FakeReport("teardown")),
    )
    assert [attempt.outcome for attempt in ended] == ["passed", "failed"]


def test_an_attempt_without_teardown_is_left_unfinished_and_cleared() -> None:
    folds = Folds()
    folds.add(FakeReport("setup"))
    left = folds.unfinished()
    assert [nodeid for nodeid, _ in left] == ["test_a.py::test_one"]
    assert folds.unfinished() == []


@pytest.mark.parametrize(
    ("report", "expected"),
    [
        (FakeReport("setup", "failed"), "error"),
        (FakeReport("call", "failed"), "failed"),
        (FakeReport("teardown", "failed"), "error"),
        (FakeReport("call", "skipped"), "skipped"),
        (FakeReport("teardown", "passed"), "passed"),
    ],
)
def test_each_phase_outcome(report: FakeReport, expected: str) -> None:
    assert phase_outcome(report) == expected


def test_the_short_text_keeps_the_first_lines_only() -> None:
    report = FakeReport("call", "failed", longreprtext="\n".join(f"line {n}" for n in range(50)))
    text = short_text(report, "failed")
    assert text.splitlines()[0] == "line 0"
    assert len(text.splitlines()) == 12
