"""The journal's own guards, against a tiny Xray over loopback: a journal a killed run cut
replays any number of times, a dry run never writes to it, and one holder at a time."""

from __future__ import annotations

from pathlib import Path

from pytest_tm_auth.results.journal import Journal, read_journal
from pytest_tm_auth.results.publish import publish
from tests.unit.test_results_flow import (
    CLOUD_CREATE,
    CLOUD_IMPORT,
    FakeXray,
    created,
    fake,
    journal_at,
    publishing,
)

__all__ = ["fake"]  # the fixture, used by name


def torn(path: Path) -> bytes:
    """The journal as a run killed while writing its last line leaves it."""
    cut = path.read_bytes()[:-30]
    path.write_bytes(cut)
    return cut


def test_a_torn_journal_replays_any_number_of_times(fake: FakeXray, tmp_path: Path) -> None:
    fake.script[CLOUD_CREATE] = [created("DEMO-1201")]
    fake.script[CLOUD_IMPORT] = [(500, {"error": "down"}), (200, {"key": "DEMO-1201"})]
    path = journal_at(tmp_path)
    torn(path)
    first = publish(path, publishing(fake))
    assert "HTTP 500" in first.line()
    second = publish(path, publishing(fake))
    assert second.landing is not None, second.line()
    assert second.landing.count == 1  # the cut result is not sent
    third = publish(path, publishing(fake))
    assert third.already, third.line()
    state = read_journal(path)
    assert not state.torn
    assert state.progress("xray").landed is not None
    assert (fake.count(*CLOUD_CREATE), fake.count(*CLOUD_IMPORT)) == (1, 2)


def test_a_dry_run_never_writes_to_the_journal(fake: FakeXray, tmp_path: Path) -> None:
    path = journal_at(tmp_path)
    cut = torn(path)
    outcome = publish(path, publishing(fake, dry_run=True))
    assert not outcome.failed, outcome.line()
    assert path.read_bytes() == cut
    assert fake.requests == []


def test_a_journal_another_holds_is_in_use_and_nothing_is_sent(
    fake: FakeXray, tmp_path: Path
) -> None:
    path = journal_at(tmp_path)
    holder, _ = Journal.reopen(path)
    try:
        outcome = publish(path, publishing(fake))
        dry = publish(path, publishing(fake, dry_run=True))
    finally:
        holder.close()
    said = f"the journal {path} is in use by another run or command"
    assert said in outcome.line()
    assert said in dry.line()
    assert fake.requests == []
    assert read_journal(path).services == {}  # and no failure was journaled through it
