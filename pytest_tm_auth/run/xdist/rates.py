"""The run's rate budgets under pytest-xdist: held by the controller's broker, asked by workers.

A worker's sessions ask the broker for each permit (one short connection per question, as
for logins): the broker reserves it in the controller's budgets and answers how long to
wait, so workers queue behind each other rather than spend the budget blind. Each answer's
news (a 429, ``X-RateLimit-*``) goes to the broker too, and every worker waits for it. A
worker that cannot reach the broker keeps its own budgets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_tm_auth.core.ratelimit import Budgets, WaitTooLong
from pytest_tm_auth.run.xdist.channel import Message, connect, receive, send

#: The key of a rate question in a message to the broker.
RATE = "rate"


def answer(budgets: Budgets, request: Message) -> Message:
    """The broker's answer to a worker's rate question (a permit's wait, or news taken)."""
    service = str(request.get(RATE))
    news = request.get("learn")
    if isinstance(news, dict):
        budgets.learn(service, news)
        return {"ok": True}
    try:
        return {"wait": budgets.reserve(service)}
    except WaitTooLong as refused:
        return {"too_long": str(refused)}


class BrokeredPermits:
    """A worker's permits: asked of the broker; ``own`` budgets (this worker's alone) when
    the broker cannot be reached."""

    def __init__(self, contact: Message, own: Budgets) -> None:
        self._contact = contact
        self._own = own

    def _ask(self, question: Message) -> Message | None:
        try:
            with connect(self._contact) as connection:
                send(connection, question)
                return receive(connection)
        except (OSError, EOFError):
            return None

    def reserve(self, service: str) -> float:
        reply = self._ask({RATE: service})
        refused = None if reply is None else reply.get("too_long")
        if isinstance(refused, str):
            raise WaitTooLong(refused)
        wait = None if reply is None else reply.get("wait")
        if isinstance(wait, (int, float)) and 0 <= wait < float("inf"):
            return float(wait)
        return self._own.reserve(service)

    def learn(self, service: str, news: Mapping[str, Any]) -> None:
        if self._ask({RATE: service, "learn": dict(news)}) is None:
            self._own.learn(service, news)


def share(budgets: Budgets, contact: Message) -> None:
    """In a worker: take every permit from the broker at ``contact``."""
    budgets.delegate(BrokeredPermits(contact, budgets.alone()))
