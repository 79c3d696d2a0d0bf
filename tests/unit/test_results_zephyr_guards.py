"""What a team's hook may not change in a Zephyr Scale payload, and answers that name what
was made elsewhere than asked, without a server: the label mark at each comment's start
survives the hook, one execution per test case, the project and a new cycle's shape kept;
an execution's id taken from ``Location``; a cycle or run of another project not believed."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_tm_auth.results import zephyr_payload as zephyr
from pytest_tm_auth.results.model import PublishError, Result
from pytest_tm_auth.results.zephyr_payload import ZephyrSettings, build_payload, rechecked

LABEL = "tm-auth-0a1b2c3d4e5f"
HEADER = {"label": LABEL, "host": "build-7", "started": 1_796_000_000.0}


def built(key: str | None = "DEMO-R3") -> dict[str, Any]:
    results = [
        Result(f"t.py::{name}", f"t.py::{name}", {"zephyr": (case,)}, "passed", 1.0, 2.0)
        for name, case in (("a", "DEMO-T1"), ("b", "DEMO-T2"))
    ]
    payload, _ = build_payload(results, HEADER, ZephyrSettings(project="DEMO"), "cloud", key)
    return payload


def again(payload: dict[str, Any], key: str | None = "DEMO-R3") -> dict[str, Any]:
    return rechecked(payload, key, str, label=LABEL, built=dict(built(key)))


@pytest.mark.parametrize("changed", ["Build 42: {}", "", None, "no label at all"])
def test_a_comment_a_hook_rewrote_starts_with_the_label_again(changed: str | None) -> None:
    payload = built()
    first = payload["executions"][0]
    if changed is None:
        del first["comment"]
    else:
        first["comment"] = changed.format(first["comment"])
    cleaned = again(payload)
    comments = [execution["comment"] for execution in cleaned["executions"]]
    assert all(comment.startswith(f"{LABEL}:") for comment in comments)
    assert zephyr.carrying(cleaned["executions"], LABEL) == {"DEMO-T1", "DEMO-T2"}
    if changed:
        assert changed.format("") in comments[0]  # the team's words kept


def test_a_comment_that_is_not_text_is_refused() -> None:
    payload = built()
    payload["executions"][0]["comment"] = ["a list"]
    with pytest.raises(PublishError, match="comment of the execution of DEMO-T1 is not text"):
        again(payload)


def test_two_executions_of_one_test_case_are_refused_not_dropped() -> None:
    payload = built()
    payload["executions"].append(dict(payload["executions"][0], statusName="Fail"))
    with pytest.raises(PublishError, match="two executions of DEMO-T1"):
        again(payload)


@pytest.mark.parametrize("key", [None, "DEMO-R3"])
def test_a_changed_project_is_refused(key: str | None) -> None:
    payload = built(key)
    payload["projectKey"] = "OTHER"
    with pytest.raises(PublishError, match=r"changed projectKey: .* go to DEMO only"):
        again(payload, key)


@pytest.mark.parametrize("cycle", ["Nightly", ["a"], {"name": 5}, {"description": None}])
def test_a_new_cycle_that_is_not_a_dict_of_text_is_refused(cycle: object) -> None:
    payload = built(None)
    payload["testCycle"] = cycle
    with pytest.raises(PublishError, match="testCycle that is not a dict"):
        again(payload, None)


def test_a_renamed_new_cycle_is_taken() -> None:
    payload = built(None)
    payload["testCycle"] = {"name": "Nightly"}
    assert again(payload, None)["testCycle"] == {"name": "Nightly"}


@pytest.mark.parametrize(
    ("body", "location", "expected"),
    [
        ('{"id": 7, "self": "x"}', "https://x/v2/testexecutions/7", "7"),
        ("", "https://x/v2/testexecutions/5", "5"),
        ("", "https://x/v2/testexecutions/5/?q=1", "5"),
        ("  ", "", ""),  # a 201 naming nothing: landed, its id unknown
        ("", "https://x/v2/testexecutions/<b>", ""),
        ('{"self": "x"}', "https://x/v2/testexecutions/9", "9"),
    ],
)
def test_an_execution_s_id_is_its_body_s_else_its_location_s(
    body: str, location: str, expected: str
) -> None:
    assert zephyr.execution_id(body, location) == expected


def test_an_answer_that_names_no_execution_anywhere_is_an_outcome_unknown() -> None:
    with pytest.raises(PublishError) as raised:
        zephyr.execution_id('{"errors": ["no"]}', "")
    assert raised.value.ambiguous


def test_a_cycle_or_run_of_another_project_is_not_believed() -> None:
    said = '{"testCycle": {"key": "OTHER-R30"}}'
    assert zephyr.uploaded(said, project="OTHER") == ("OTHER-R30", "")
    with pytest.raises(PublishError, match="names OTHER-R30, not a key of the project DEMO"):
        zephyr.uploaded(said, project="DEMO")
    assert zephyr.run_made('{"key": "DEMO-C4"}', "DEMO") == "DEMO-C4"
    with pytest.raises(PublishError, match="names DEMOX-C4") as raised:
        zephyr.run_made('{"key": "DEMOX-C4"}', "DEMO")
    assert raised.value.ambiguous


def test_the_label_is_found_past_markup_and_never_mid_comment() -> None:
    listed = [
        {"id": 1, "testCaseKey": "DEMO-T1", "comment": f"<p>{LABEL}: t.py::a</p>"},
        {"id": 2, "testCaseKey": "DEMO-T2", "comment": f"another run, not {LABEL}: x"},
        {"id": 3, "testCaseKey": "DEMO-T3", "comment": f"{LABEL}0: a longer label"},
    ]
    assert zephyr.carrying_ids(listed, LABEL) == {"DEMO-T1": "1"}
