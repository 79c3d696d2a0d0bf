"""Tests linked to Xray Tests: their results land in one Test Execution at the end of the run."""

from __future__ import annotations

import pytest

from pytest_tm_auth import ResultNotes


@pytest.mark.xray("DEMO-1")
def test_an_order_is_placed() -> None:
    assert sum([2, 3]) == 5


@pytest.mark.xray("DEMO-2", defects=["DEMO-9"])
@pytest.mark.parametrize("currency", ["EUR", "USD", "JPY"])
def test_prices_show_in_each_currency(currency: str, tm_result: ResultNotes) -> None:
    tm_result.comment(f"priced in {currency}")
    assert len(currency) == 3


@pytest.mark.xray(["DEMO-3", "DEMO-4"])
def test_a_receipt_is_attached(tm_result: ResultNotes) -> None:
    tm_result.attach("receipt.txt", "order 1: paid")
