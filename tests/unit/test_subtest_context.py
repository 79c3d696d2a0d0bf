"""A subtest's name (its ``msg`` and keyword arguments), scrubbed in place as each subtests
implementation keeps it: pytest 9's frozen context of ``saferepr`` strings, and
pytest-subtests' context of the values themselves."""

from __future__ import annotations

import dataclasses
from typing import Any

from pytest_tm_auth.core.scrub import Scrubber
from pytest_tm_auth.run.redaction.scrubbed import scrub_subtest_context

SECRET = "demo-subtest-secret-not-real"


def hide(text: str) -> str:
    scrubber = Scrubber()
    scrubber.add(SECRET)
    return scrubber.scrub(text, pieces=True)


@dataclasses.dataclass(frozen=True)
class FrozenContext:  # pytest 9's: frozen, every argument already a saferepr string
    msg: str | None
    kwargs: dict[str, Any]


class PlainContext:  # pytest-subtests': the values themselves
    def __init__(self, msg: str | None, kwargs: dict[str, Any]) -> None:
        self.msg = msg
        self.kwargs = kwargs


def test_a_frozen_context_is_scrubbed_in_place_cut_pieces_too() -> None:
    cut = repr(SECRET)[:16] + "..." + SECRET[-12:] + "'"  # as saferepr shortens a long value
    context = FrozenContext(f"tok {SECRET}", {"sec": cut, "index": "3"})

    scrub_subtest_context(context, hide)

    assert context.msg == "tok ***"
    assert context.kwargs == {"sec": "'***...***'", "index": "3"}


def test_a_value_whose_repr_holds_a_secret_becomes_its_scrubbed_repr() -> None:
    context = PlainContext(None, {"creds": {"key": SECRET}, "index": 3, "name": "plain"})

    scrub_subtest_context(context, hide)

    assert context.msg is None
    assert context.kwargs == {"creds": "{'key': '***'}", "index": 3, "name": "plain"}


def test_a_broken_repr_is_left_to_pytest() -> None:
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    broken = Broken()
    context = PlainContext("fine", {"value": broken})

    scrub_subtest_context(context, hide)

    assert context.kwargs["value"] is broken
