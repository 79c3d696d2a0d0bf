"""The journal's lines: short for the common result, whole however the operating system
takes a write, and refused when any byte of a line changed after it was written."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pytest_tm_auth.results.journal import Journal, JournalError, read_journal
from pytest_tm_auth.results.model import Evidence, Result

HEADER = {"run": "0a1b2c3d4e5f", "label": "tm-auth-0a1b2c3d4e5f", "services": {}}
PASSED = Result("t.py::a", "t.py::a", {"xray": ("DEMO-1",)}, "passed", 1.0, 2.0)
FULL = Result(
    "t.py::b[1]",
    "t.py::b",
    {"xray": ("DEMO-2", "DEMO-3")},
    "failed",
    1.5,
    2.5,
    comment="assert 1 == 2",
    iteration="1",
    parameters=(("n", "1"),),
    defects=("DEMO-9",),
    evidence=(Evidence("a.txt", "text/plain", "aGk=", 2),),
    dropped=("evidence 'b.txt' dropped",),
)


def written(path: Path, *results: Result) -> list[str]:
    journal = Journal.create(path, HEADER)
    for result in results:
        journal.add_result(result)
    journal.close()
    return path.read_text(encoding="ascii").splitlines(keepends=True)


def test_a_passing_result_is_a_short_line_and_reads_back_equal(tmp_path: Path) -> None:
    lines = written(tmp_path / "j.jsonl", PASSED, FULL)
    record = json.loads(lines[1])
    assert set(record) == {"kind", "nodeid", "links", "outcome", "start", "finish", "sum"}
    assert read_journal(tmp_path / "j.jsonl").results == [PASSED, FULL]


def test_a_result_with_every_field_written_reads_back_the_same(tmp_path: Path) -> None:
    """A line that spells out the empty fields (as the first journals did) reads the same."""
    path = tmp_path / "j.jsonl"
    journal = Journal.create(path, HEADER)
    spelled: dict[str, object] = {
        "test": PASSED.nodeid,
        "comment": "",
        "iteration": None,
        "parameters": [],
    }
    journal._write({"kind": "result", **PASSED.to_data(), **spelled}, sync=False)
    journal.close()
    assert read_journal(path).results == [PASSED]


def test_a_write_the_system_takes_in_parts_still_writes_the_whole_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[int] = []
    real_write = os.write

    def short_write(fd: int, data: bytes) -> int:
        writes.append(fd)
        return real_write(fd, data[:7])

    monkeypatch.setattr(os, "write", short_write)
    written(tmp_path / "j.jsonl", PASSED, FULL)
    monkeypatch.undo()
    assert len(writes) > 3
    assert read_journal(tmp_path / "j.jsonl").results == [PASSED, FULL]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('"passed"', '"failed"'),  # the body
        ('"sum":"', '"sum": "'),  # the digest's field
        ('"links"', ' "links"'),  # a byte the encoder would never write
        ('"}\n', '"} \n'),  # the line's end
    ],
    ids=["body", "sum-field", "spacing", "end"],
)
def test_any_changed_byte_of_a_result_line_is_refused(tmp_path: Path, old: str, new: str) -> None:
    path = tmp_path / "j.jsonl"
    lines = written(path, PASSED)
    assert old in lines[1]
    lines[1] = lines[1].replace(old, new, 1)
    path.write_text("".join(lines), encoding="ascii")
    with pytest.raises(JournalError, match=r"changed after it was written \(line 2\)"):
        read_journal(path)


def test_a_line_cut_short_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    lines = written(path, PASSED, FULL)
    path.write_text("".join(lines[:2]) + lines[2][:40], encoding="ascii")
    state = read_journal(path)
    assert (state.torn, state.results) == (True, [PASSED])


@pytest.mark.parametrize(
    "evidence", [None, "a.txt", [{"filename": "a.txt"}], [None]], ids=["null", "str", "bad", "none"]
)
def test_a_result_with_malformed_evidence_is_refused(evidence: object) -> None:
    assert Result.from_data({**PASSED.to_data(), "evidence": evidence}) is None
    assert Result.from_data({**FULL.to_data(), "evidence": []}) == FULL._replace(evidence=())


def test_what_the_writer_knows_is_what_a_reader_finds(tmp_path: Path) -> None:
    """The run publishes from what it wrote, without reading its journal back: the same."""
    path = tmp_path / "j.jsonl"
    header = {**HEADER, "started": 1.5, "services": {"xray": {"environments": ["linux"]}}}
    journal = Journal.create(path, header)
    for result in (PASSED, FULL):
        journal.add_result(result)
    known = journal.state([PASSED, FULL], header)
    journal.close()
    assert known == read_journal(path)


@pytest.mark.parametrize(
    "changed",
    [
        {"test": "t.py::b"},
        {"comment": "assert 1 == 2"},
        {"iteration": "1"},
        {"parameters": (("n", "1"),)},
        {"evidence": (Evidence("a.txt", "text/plain", "aGk=", 2),)},
        {"dropped": ("evidence 'b.txt' dropped",)},
        {"defects": ("DEMO-9", "DEMO-10")},
        {"links": {"xray": ("DEMO-1", "DEMO-2"), "other": ("DEMO-3",)}},
        {"nodeid": 't.py::a["q\\\\"\u00e9\n]', "test": 't.py::a["q\\\\"\u00e9\n]'},
        {"start": 1765110000.123456, "finish": 1765110000.5},
        {"start": -1.0},
        {"finish": 1e12},
        {"finish": float("inf")},
        {"start": 3},
    ],
    ids="-".join,
)
def test_every_field_of_a_result_reads_back_as_the_encoder_writes_it(
    tmp_path: Path, changed: dict[str, object]
) -> None:
    """The common result's line is written directly, any other through the encoder: each
    field alone, odd text and times out of range, read back as written."""
    result = PASSED._replace(**changed)  # type: ignore[arg-type]
    lines = written(tmp_path / "j.jsonl", result)
    body = json.loads(lines[1])
    del body["sum"]
    assert body == {"kind": "result", **result.to_data()}
    assert read_journal(tmp_path / "j.jsonl").results == [result]
