"""``tm_result``'s notes: evidence and comments scrubbed and capped where a test makes them."""

from __future__ import annotations

import base64
import json

import pytest

from pytest_tm_auth.core.scrub import Scrubber
from pytest_tm_auth.results import model
from pytest_tm_auth.results.notes import ResultNotes

SECRET = "demo-client-secret-not-real"
#: A secret that JSON escapes: its escaped form does not hold it as it is.
QUOTED = 'demo"quoted\\secret-not-real'


def notes() -> ResultNotes:
    scrubber = Scrubber()
    scrubber.add(SECRET, QUOTED)
    return ResultNotes.scrubbed_by(scrubber)


def decoded(item: model.Evidence) -> bytes:
    return base64.b64decode(item.data)


def test_text_evidence_is_scrubbed_and_its_type_guessed_from_the_name() -> None:
    made = notes()
    made.attach("log.txt", f"token={SECRET}")
    made.attach("page.json", f'{{"s": "{SECRET}"}}'.encode())
    made.attach("shot.png", b"\x89PNG\0")
    text, json_file, image = made.evidence
    assert (text.content_type, json_file.content_type, image.content_type) == (
        "text/plain",
        "application/json",
        "image/png",
    )
    assert SECRET.encode() not in decoded(text) + decoded(json_file)
    assert decoded(image) == b"\x89PNG\0"  # binary data without a secret: kept as given
    assert text.size == len(decoded(text))


@pytest.mark.parametrize(
    "name", ["client.log", "trace.har", "config.yaml", "events.jsonl", "dump", "shot.png"]
)
def test_bytes_that_read_as_utf8_are_scrubbed_whatever_the_name(name: str) -> None:
    made = notes()
    made.attach(name, f"Authorization: Bearer {SECRET}\r\ncaf\u00e9\n".encode())
    (item,) = made.evidence
    assert decoded(item) == "Authorization: Bearer ***\r\ncaf\u00e9\n".encode()
    assert item.size == len(decoded(item))


@pytest.mark.parametrize(
    "inside",
    [
        SECRET.encode(),
        SECRET.encode("utf-16-le"),
        SECRET.encode("utf-16-be"),
        base64.b64encode(f"admin:{SECRET}".encode()),
        json.dumps(QUOTED)[1:-1].encode(),
    ],
    ids=["as-is", "utf-16-le", "utf-16-be", "basic-auth", "json-escaped"],
)
@pytest.mark.parametrize("binary", [b"\x00\x01", b"\xff\xfe\x89"], ids=["nul", "not-utf8"])
def test_binary_data_holding_a_secret_is_dropped_and_said(inside: bytes, binary: bytes) -> None:
    made = notes()
    made.attach("capture.pcap", binary + inside + binary)
    made.attach("kept.bin", binary)
    assert [item.filename for item in made.evidence] == ["kept.bin"]
    assert made.dropped == [
        "evidence 'capture.pcap' dropped: it holds a secret of the run, and binary data "
        "cannot be scrubbed: attach it as text, or without the secret"
    ]


def test_an_unknown_name_is_octet_stream_and_a_given_type_wins() -> None:
    made = notes()
    made.attach("dump.unknownext", b"\x00\x01")
    made.attach("data", "a,b", content_type="text/csv")
    assert [item.content_type for item in made.evidence] == [
        "application/octet-stream",
        "text/csv",
    ]


def test_evidence_over_the_file_cap_is_dropped_and_said() -> None:
    made = notes()
    for number in range(model.EVIDENCE_FILES_PER_TEST + 2):
        made.attach(f"f{number}.txt", "x")
    assert len(made.evidence) == model.EVIDENCE_FILES_PER_TEST
    assert len(made.dropped) == 2
    assert "'f21.txt' dropped: over 20 files per test" in made.dropped[1]


def test_evidence_over_the_byte_cap_is_dropped_and_a_smaller_one_still_fits() -> None:
    made = notes()
    made.attach("big.bin", b"x" * (model.EVIDENCE_BYTES_PER_TEST - 10))
    made.attach("too-big.bin", b"x" * 11)
    made.attach("small.bin", b"x" * 10)
    assert [item.filename for item in made.evidence] == ["big.bin", "small.bin"]
    assert made.dropped == [
        f"evidence 'too-big.bin' (11 bytes) dropped: over {model.EVIDENCE_BYTES_PER_TEST} "
        "bytes per test"
    ]


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [("a.txt", 3, None), ("a.txt", ["x"], None), ("", "x", None), (7, "x", None), ("a", "x", 1)],
)
def test_a_wrong_type_is_a_type_error(name: object, data: object, content_type: object) -> None:
    with pytest.raises(TypeError, match="tm_result"):
        notes().attach(name, data, content_type)  # type: ignore[arg-type]


def test_comments_are_scrubbed_bounded_and_what_is_over_is_said() -> None:
    made = notes()
    made.comment(f"secret {SECRET} here")
    made.comment("y" * (model.COMMENT_LIMIT * 2))
    made.comment("no room left")
    assert SECRET not in made.comments[0]
    assert sum(len(text) for text in made.comments) <= model.COMMENT_LIMIT
    assert made.dropped == ["a tm_result comment dropped: the comment is full"]
    with pytest.raises(TypeError, match=r"tm_result\.comment"):
        made.comment(b"bytes")  # type: ignore[arg-type]


def test_the_notes_travel_as_plain_data() -> None:
    made = notes()
    made.comment("seen")
    made.attach("a.txt", "x")
    data = made.to_data()
    assert data["comments"] == ["seen"]
    assert model.Evidence.from_data(data["evidence"][0]) == made.evidence[0]
    assert repr(made) == "<tm_result evidence=1 comments=1>"
