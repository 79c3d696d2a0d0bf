"""The payload a team's hook changed is scrubbed again everywhere but where files' bytes
are: each evidence file's ``data``; keys too, and cut-off pieces in comments and names."""

from __future__ import annotations

from typing import Any

from pytest_tm_auth.core.scrub import Scrubber
from pytest_tm_auth.results.xray_payload import rechecked

SECRET = "demo-secret-not-real-x7Q9x7Q9x7Q9"


def payload() -> dict[str, Any]:
    evidence = {"data": "ZGVtbw==", "filename": f"f-{SECRET[:30]}.txt", "contentType": "t"}
    return {
        "testExecutionKey": "DEMO-9",
        "info": {"data": f"token {SECRET}", f"x-{SECRET}": "value"},
        "tests": [{"testKey": "DEMO-1", "comment": f"see {SECRET[:30]}", "evidence": [evidence]}],
    }


def test_only_evidence_data_is_left_and_keys_and_pieces_are_scrubbed() -> None:
    scrubber = Scrubber()
    scrubber.add(SECRET)
    cleaned = rechecked(
        payload(), "DEMO-9", scrubber.scrub, lambda text: scrubber.scrub(text, pieces=True)
    )
    assert cleaned["info"] == {"data": "token ***", "x-***": "value"}
    (test,) = cleaned["tests"]
    assert test["comment"] == "see ***"
    assert test["evidence"][0]["filename"] == "f-***.txt"
    assert test["evidence"][0]["data"] == "ZGVtbw=="  # a file's bytes: scrubbed when attached
    assert SECRET[:30] not in repr(cleaned)
