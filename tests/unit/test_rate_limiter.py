"""The run's rate budget, on a fake clock: reservations, the services' news, the bound."""

from __future__ import annotations

import pytest

from pytest_tm_auth.core.ratelimit import (
    MAX_PAUSE,
    Budget,
    Budgets,
    Rate,
    WaitTooLong,
    margin,
    observed,
)
from pytest_tm_auth.core.values import parse_rate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def waits(budget: Budget, now: float, count: int) -> list[float]:
    slots = [budget.reserve(now) for _ in range(count)]
    return [slot - now for slot in slots if slot is not None]


def test_a_rate_lets_its_requests_go_then_queues_the_rest_a_window_later() -> None:
    budget = Budget(Rate(3, 10.0))
    assert waits(budget, 0.0, 3) == [0.0, 0.0, 0.0]
    later = 10.0 + margin(10.0)
    assert waits(budget, 1.0, 4) == [later - 1.0] * 3 + [2 * later - 1.0]


def test_no_window_of_the_service_ever_holds_more_than_the_rate() -> None:
    budget = Budget(Rate(20, 5.0))
    slots = [budget.reserve(step * 0.1) for step in range(100)]
    moments = [slot for slot in slots if slot is not None]
    assert len(moments) == 100
    for first in moments:
        assert sum(first <= at < first + 5.0 + margin(5.0) for at in moments) <= 20


def test_without_a_rate_nothing_waits() -> None:
    assert waits(Budget(None), 5.0, 50) == [0.0] * 50


def test_advertised_headers_cap_what_goes_until_the_service_resets() -> None:
    budget = Budget(None)
    budget.learn(0.0, observed(200, "2", "4", None))
    assert waits(budget, 0.5, 3) == [0.0, 0.0, 3.5]
    budget.learn(5.0, observed(200, "9", "5", None))  # a new window of the service
    assert waits(budget, 5.0, 9) == [0.0] * 9


def test_once_the_advertised_budget_is_spent_every_request_waits_for_the_reset() -> None:
    budget = Budget(None)
    budget.learn(0.0, observed(200, "1", "4", None))
    assert waits(budget, 1.0, 4) == [0.0, 3.0, 3.0, 3.0]
    assert waits(budget, 4.0, 2) == [0.0, 0.0]  # a new window: nothing known of it yet


def test_a_later_answer_of_the_same_window_lowers_what_is_left() -> None:
    budget = Budget(None)
    budget.learn(0.0, observed(200, "10", "5", None))
    budget.learn(0.2, observed(200, "1", "5", None))  # other processes spent the rest
    assert waits(budget, 0.3, 2) == [0.0, pytest.approx(4.9)]


def test_a_refusal_closes_the_budget_for_retry_after() -> None:
    budget = Budget(None)
    budget.learn(0.0, observed(429, None, None, 3.0))
    assert waits(budget, 1.0, 2) == [2.0, 2.0]


def test_refusals_without_retry_after_close_it_longer_each_time_then_a_success_resets() -> None:
    budget = Budget(None)
    pauses = []
    for _ in range(6):
        budget.learn(0.0, observed(429, None, None, None))
        slot = budget.reserve(0.0)
        assert slot is not None
        pauses.append(slot)
    assert pauses == [1.0, 2.0, 4.0, MAX_PAUSE, MAX_PAUSE, MAX_PAUSE]
    budget.learn(1.0, observed(200, None, None, None))  # answered while closed: no reset
    budget.learn(9.0, observed(200, None, None, None))
    budget.learn(9.0, observed(429, None, None, None))
    assert budget.reserve(9.0) == 10.0


@pytest.mark.parametrize(
    ("remaining", "reset"), [("-1", "5"), ("2", "nan"), ("2", "inf"), ("x", "5"), (None, "5")]
)
def test_nonsense_headers_are_ignored(remaining: str | None, reset: str) -> None:
    assert observed(200, remaining, reset, None) == {"refused": False}


def test_a_reset_is_seconds_or_an_iso_moment() -> None:
    from pytest_tm_auth.core.ratelimit import reset_seconds

    assert reset_seconds("12") == 12.0
    assert reset_seconds("2026-12-07T05:00:30Z", now=1796619600.0) == 30.0
    assert reset_seconds("2026-12-07T05:00:30+00:00", now=1796619660.0) == 0.0  # past
    with pytest.raises(ValueError, match="soon"):
        reset_seconds("soon")


def test_the_bound_refuses_a_long_wait_and_takes_nothing() -> None:
    clock = Clock()
    budgets = Budgets({"xray": ("xray_rate_limit", Rate(1, 600.0))}, bound=60.0, clock=clock)
    assert budgets.reserve("xray") == 0.0
    with pytest.raises(WaitTooLong) as refused:
        budgets.reserve("xray")
    assert str(refused.value) == (
        "xray: a request would wait longer than 60 s for the run's rate budget "
        "(1 request per 600 s): raise --xray-rate-limit if the service allows more, "
        "or make fewer requests"
    )
    clock.now += 600.0 + margin(600.0)
    assert budgets.reserve("xray") == 0.0  # the refused request took no permit
    assert budgets.note("xray") == ""


def test_waits_are_added_up_per_service_and_the_default_asked_once() -> None:
    clock = Clock()
    asked: list[str] = []

    def default(service: str) -> Rate | None:
        asked.append(service)
        return Rate(1, 2.0) if service == "xray" else None

    budgets = Budgets({}, bound=60.0, default=default, clock=clock)
    assert [budgets.reserve("xray") for _ in range(3)] == [0.0, 2.5, 5.0]
    assert budgets.reserve("zephyr") == 0.0
    assert budgets.reserve("xray") == 7.5
    assert asked == ["xray", "zephyr"]
    assert budgets.note("xray") == ", requests waited 15.0 s in all for the rate budget"
    assert budgets.note("zephyr") == ""


@pytest.mark.parametrize(
    ("text", "rate"), [("300/300", (300, 300.0)), ("20/5", (20, 5.0)), ("1/0.5e1", (1, 5.0))]
)
def test_a_rate_is_n_per_seconds(text: str, rate: tuple[int, float]) -> None:
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["20", "0/5", "20/0", "20/0.5", "20/nan", "x/5", "5/1/1", ""])
def test_a_malformed_rate_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="expected N/SECONDS"):
        parse_rate(text)


def run_budgets(deployment: str, **environ: str) -> Budgets:
    from pytest_tm_auth.run.startup import rate_budgets
    from pytest_tm_auth.settings.resolve import Sources, resolve
    from pytest_tm_auth.settings.run_wide import RUN_WIDE_SETTINGS

    values = resolve(list(RUN_WIDE_SETTINGS), Sources(environ=environ))
    return rate_budgets(values, lambda name: deployment)


def test_xray_cloud_defaults_to_its_published_limit() -> None:
    budgets = run_budgets("cloud")
    assert [budgets.reserve("xray") for _ in range(300)] == [0.0] * 300
    with pytest.raises(WaitTooLong, match=r"\(300 requests per 300 s\): raise --xray-rate-limit"):
        budgets.reserve("xray")
    assert [budgets.reserve("zephyr") for _ in range(400)] == [0.0] * 400


def test_xray_data_center_has_no_default_and_a_setting_wins() -> None:
    assert [run_budgets("datacenter").reserve("xray") for _ in range(400)] == [0.0] * 400
    budgets = run_budgets("cloud", XRAY_RATE_LIMIT="2/3600", TM_AUTH_TIMEOUT="100")
    assert budgets.bound == 400.0  # the timeout times the attempts
    assert [budgets.reserve("xray") for _ in range(2)] == [0.0, 0.0]
    with pytest.raises(WaitTooLong, match=r"\(2 requests per 3600 s\)"):
        budgets.reserve("xray")
