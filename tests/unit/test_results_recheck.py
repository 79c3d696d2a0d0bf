"""The payload a team's hook changed is scrubbed again everywhere but where files' bytes
are: each evidence file's ``data``; keys too, and cut-off pieces in comments and names."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any

import pytest

from pytest_tm_auth.core.scrub import Scrubber
from pytest_tm_auth.results.model import PublishError
from pytest_tm_auth.results.untrusted import DEPTH_LIMIT
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


class Status(str, Enum):
    """What a team's hook may write instead of a plain status name."""

    PASSED = "PASSED"


def test_a_str_a_hook_wrote_as_an_enum_is_sent_as_its_text() -> None:
    scrubber = Scrubber()
    scrubber.add(SECRET)
    changed = payload()
    changed["tests"][0]["status"] = Status.PASSED
    changed["tests"][0]["comment"] = Status.PASSED

    cleaned = rechecked(changed, "DEMO-9", scrubber.scrub)

    assert cleaned["tests"][0]["status"] == "PASSED"
    assert type(cleaned["tests"][0]["status"]) is str
    assert json.dumps(cleaned["tests"][0]["comment"]) == '"PASSED"'


def test_a_hooks_structure_deeper_than_any_payload_is_refused_even_when_empty() -> None:
    deep: dict[str, Any] = {"parameters": []}  # the empty list one level too deep
    for _ in range(DEPTH_LIMIT - 1):
        deep = {"level": deep}
    changed = payload()
    changed["info"] = deep

    with pytest.raises(PublishError, match="nests deeper"):
        rechecked(changed, "DEMO-9", Scrubber().scrub)
