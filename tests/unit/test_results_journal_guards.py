"""The journal's own guards, against a tiny Xray over loopback: a journal a killed run cut
replays any number of times, a dry run never writes to it, and one holder at a time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_tm_auth.results import journal as journal_module
from pytest_tm_auth.results.journal import Journal, JournalError, read_journal
from pytest_tm_auth.results.model import Evidence
from pytest_tm_auth.results.publish import publish
from tests.unit.test_results_flow import (
    CLOUD_CREATE,
    CLOUD_IMPORT,
    DROP,
    NONE_FOUND,
    FakeXray,
    created,
    fake,
    journal_at,
    linked,
    publishing,
)

__all__ = ["fake"]  # the fixture, used by name


def torn(path: Path) -> bytes:
    """The journal as a run killed while writing its last line leaves it."""
    cut = path.read_bytes()[:-30]
    path.write_bytes(cut)
    return cut


def test_a_torn_journal_replays_any_number_of_times(fake: FakeXray, tmp_path: Path) -> None:
    fake.script[CLOUD_CREATE] = [NONE_FOUND, created("DEMO-1201")]
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
    assert (fake.count(*CLOUD_CREATE), fake.count(*CLOUD_IMPORT)) == (2, 2)  # search, create


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


def creations(fake: FakeXray) -> int:
    return sum("createTestExecution" in body["query"] for body in fake.bodies(*CLOUD_CREATE))


def test_a_creation_that_may_have_happened_and_is_not_found_creates_none(
    fake: FakeXray, tmp_path: Path
) -> None:
    fake.script[CLOUD_CREATE] = [NONE_FOUND, DROP, NONE_FOUND]
    path = journal_at(tmp_path)
    first = publish(path, publishing(fake))
    assert first.ambiguous, first.line()
    second = publish(path, publishing(fake))
    assert second.ambiguous
    assert second.line().startswith(
        "xray: outcome unknown: an earlier creation of the Test Execution labelled "
        "tm-auth-0a1b2c3d4e5f may have happened, and the search finds none yet"
    )
    assert "replay in a minute" in second.line()
    assert creations(fake) == 1
    assert fake.count(*CLOUD_CREATE) == 3  # a search, the creation, a search
    assert fake.count(*CLOUD_IMPORT) == 0


def test_a_creation_the_service_refused_is_made_again(fake: FakeXray, tmp_path: Path) -> None:
    refused = (400, {"errors": [{"message": "project DEMO is archived"}]})
    fake.script[CLOUD_CREATE] = [NONE_FOUND, refused, NONE_FOUND, created("DEMO-1201")]
    fake.script[CLOUD_IMPORT] = [(200, {"key": "DEMO-1201"})]
    path = journal_at(tmp_path)
    first = publish(path, publishing(fake))
    assert first.failed
    assert not first.ambiguous, first.line()
    second = publish(path, publishing(fake))
    assert second.landing is not None, second.line()
    assert creations(fake) == 2
    assert fake.count(*CLOUD_IMPORT) == 1


def test_a_copied_journal_finds_the_execution_and_creates_none(
    fake: FakeXray, tmp_path: Path
) -> None:
    found = {"total": 1, "results": [{"issueId": "10001", "jira": {"key": "DEMO-1201"}}]}
    fake.script[CLOUD_CREATE] = [(200, {"data": {"getTestExecutions": found}})]
    fake.script[CLOUD_IMPORT] = [(200, {"key": "DEMO-1201"})]
    outcome = publish(journal_at(tmp_path), publishing(fake))
    assert outcome.landing is not None, outcome.line()
    assert outcome.landing.key == "DEMO-1201"
    assert creations(fake) == 0


#: 3 MiB of data that says it is 1 byte (the caps count the size).
EVIDENCE_UNDERSIZED = {
    "filename": "a.bin",
    "contentType": "application/octet-stream",
    "data": "AAAA" * 1024 * 1024,
    "size": 1,
}


def forged_journal(tmp_path: Path, data: dict[str, Any]) -> Path:
    """What a forger appends as a result, its digest chained as the run's own would be."""
    path = journal_at(tmp_path)
    journal, _ = Journal.reopen(path)
    journal._write({"kind": "result", **data}, sync=False)
    journal.close()
    return path


@pytest.mark.parametrize(
    "data",
    [
        {"test": "t.py::a"},  # no node id: a KeyError inside
        {**linked("t.py::a", "DEMO-1").to_data(), "defects": ["not a key"]},
        {**linked("t.py::a", "DEMO-1").to_data(), "evidence": [EVIDENCE_UNDERSIZED]},
    ],
    ids=["missing-field", "defect-not-a-key", "evidence-bigger-than-its-size"],
)
def test_a_forged_result_is_refused_in_one_line(tmp_path: Path, data: dict[str, Any]) -> None:
    path = forged_journal(tmp_path, data)
    with pytest.raises(JournalError, match=r"has a malformed result \(line 4\)$"):
        read_journal(path)


def test_evidence_whose_data_is_not_its_size_is_malformed() -> None:
    assert Evidence.from_data(EVIDENCE_UNDERSIZED) is None
    assert Evidence.from_data({**EVIDENCE_UNDERSIZED, "data": "AA==", "size": 1}) is not None


def test_a_line_nested_past_what_python_parses_is_refused_in_one_line(tmp_path: Path) -> None:
    path = journal_at(tmp_path)
    with path.open("a") as journal:
        journal.write("[" * 200_000 + "\n")
    with pytest.raises(JournalError, match=r"was changed after it was written \(line 4\)"):
        read_journal(path)


def test_a_journal_over_the_results_cap_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = journal_at(tmp_path)  # two results
    monkeypatch.setattr(journal_module, "RESULT_LIMIT", 1)
    with pytest.raises(JournalError, match="holds more than 1 results or 512 MiB: it is not read"):
        read_journal(path)
    monkeypatch.setattr(journal_module, "RESULT_LIMIT", 2)
    monkeypatch.setattr(journal_module, "BYTE_LIMIT", 100)
    with pytest.raises(JournalError, match="holds more than 2 results or 0 MiB"):
        read_journal(path)


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_gateways_answer_to_the_import_is_an_outcome_unknown(
    fake: FakeXray, tmp_path: Path, status: int
) -> None:
    fake.script[CLOUD_IMPORT] = [(status, {"error": "upstream timed out"})]
    outcome = publish(journal_at(tmp_path, test_execution="DEMO-500"), publishing(fake))
    assert outcome.ambiguous, outcome.line()
    assert outcome.line().startswith(
        f"xray: outcome unknown: importing the results into DEMO-500: a gateway answered "
        f"HTTP {status}: upstream timed out at {fake.url}/api/v2/import/execution: "
    )
    assert fake.count(*CLOUD_IMPORT) == 1  # never resent blindly


def test_a_gateways_answer_to_the_creation_is_an_outcome_unknown_and_none_is_made_again(
    fake: FakeXray, tmp_path: Path
) -> None:
    fake.script[CLOUD_CREATE] = [NONE_FOUND, (504, {"error": "gateway timeout"}), NONE_FOUND]
    path = journal_at(tmp_path)
    first = publish(path, publishing(fake))
    assert first.ambiguous, first.line()
    second = publish(path, publishing(fake))
    assert second.ambiguous
    assert "search finds none yet" in second.line()
    assert creations(fake) == 1


def test_a_search_that_fails_is_not_an_outcome_unknown(fake: FakeXray, tmp_path: Path) -> None:
    fake.script[CLOUD_CREATE] = [DROP]
    outcome = publish(journal_at(tmp_path), publishing(fake))
    assert outcome.failed
    assert not outcome.ambiguous, outcome.line()
    assert outcome.line().startswith("xray: results not published: searching for the Test ")
    assert creations(fake) == 0
