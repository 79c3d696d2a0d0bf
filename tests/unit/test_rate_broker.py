"""The rate budgets under xdist: workers take permits from the broker over its real channel."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_tm_auth.core.ratelimit import Budgets, Rate, WaitTooLong, margin, observed
from pytest_tm_auth.run.xdist.broker import Broker, share


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


RATES = {"xray": ("xray_rate_limit", Rate(2, 10.0))}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def held(clock: Clock) -> Iterator[tuple[Budgets, Broker]]:
    budgets = Budgets(RATES, bound=60.0, clock=clock)
    broker = Broker({}, lambda: budgets)
    yield budgets, broker
    broker.stop()


def worker(broker: Broker, clock: Clock) -> Budgets:
    own = Budgets(RATES, bound=60.0, clock=clock)
    share(own, broker.contact())
    return own


def test_workers_queue_behind_each_other_in_the_controllers_budget(
    held: tuple[Budgets, Broker], clock: Clock
) -> None:
    budgets, broker = held
    first, second = worker(broker, clock), worker(broker, clock)
    later = 10.0 + margin(10.0)
    assert [first.reserve("xray"), second.reserve("xray"), first.reserve("xray")] == [
        0.0,
        0.0,
        later,
    ]
    assert second.reserve("xray") == later
    assert budgets.waited == {"xray": 2 * later}  # the controller's summary sees every wait


def test_a_refusal_one_worker_saw_makes_every_worker_wait(
    held: tuple[Budgets, Broker], clock: Clock
) -> None:
    _, broker = held
    first, second = worker(broker, clock), worker(broker, clock)
    first.learn("jira", observed(429, None, None, 7.0))
    assert second.reserve("jira") == 7.0


def test_the_bound_crosses_to_the_worker_as_the_same_one_line(
    held: tuple[Budgets, Broker], clock: Clock
) -> None:
    _, broker = held
    one = worker(broker, clock)
    one.learn("zephyr", observed(429, "0", "3600", None))  # Jira-style: reset in an hour
    with pytest.raises(WaitTooLong, match=r"^zephyr: a request would wait longer than 60 s .*"):
        one.reserve("zephyr")


def test_a_worker_that_cannot_reach_the_broker_keeps_its_own_budget(
    held: tuple[Budgets, Broker], clock: Clock
) -> None:
    budgets, broker = held
    one = worker(broker, clock)
    broker.stop()
    assert [one.reserve("xray") for _ in range(3)] == [0.0, 0.0, 10.0 + margin(10.0)]
    assert budgets.waited == {}


@pytest.mark.parametrize(
    "news",
    [
        {"refused": True, "retry_after": float("nan")},
        {"refused": True, "retry_after": 1e9},
        {"remaining": 0, "reset": float("inf")},
        {"remaining": -3, "reset": 9.0},
        {"remaining": True, "reset": 9.0},
        {"remaining": "0", "reset": "9"},
    ],
)
def test_nonsense_news_from_a_worker_holds_nobody_back(
    held: tuple[Budgets, Broker], clock: Clock, news: dict[str, object]
) -> None:
    _, broker = held
    one = worker(broker, clock)
    one.learn("jira", news)
    assert one.reserve("jira") <= 1.0  # at most the first pause of a refusal that says nothing
