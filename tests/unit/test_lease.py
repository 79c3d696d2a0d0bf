"""The broker's desk: one lease at a time, the same answer for all, renewal once per token."""

from __future__ import annotations

import threading
from typing import Any

from pytest_tm_auth.core.codec import Data, encode_failure, encode_token
from pytest_tm_auth.core.errors import AuthError
from pytest_tm_auth.core.token import Token
from pytest_tm_auth.run.xdist.lease import Desk, fingerprint


class FakeOffice:
    """The controller's side, scripted: ``early`` is what ``before_login`` finds."""

    def __init__(self, early: Data | None = None, refuse: Data | None = None) -> None:
        self.early = early
        self.refuse = refuse
        self.before = 0
        self.grants = 0
        self.ended: list[tuple[Data | None, bool]] = []
        self.renewals = 0
        self.budget = 99
        self.spent: Data = {"kind": "renewals", "message": "demo: the service keeps refusing"}

    def before_login(self) -> Data | None:
        self.before += 1
        return self.early

    def supplied(self) -> dict[str, Any]:
        return {"demo_key": "demo-key-not-real"}

    def grant(self) -> Data | None:
        self.grants += 1
        return self.refuse

    def spend_renewal(self) -> Data | None:
        self.renewals += 1
        return self.spent if self.renewals > self.budget else None

    def published(self, answer: Data | None, *, renewal: bool) -> None:
        self.ended.append((answer, renewal))


def token(value: str = "t-1", *, static: bool = False) -> Token:
    return Token.bearer("demo", value, static=static)


def held(value: str) -> str:
    return fingerprint(str(token(value).header))


def answer(value: str = "t-1", *, static: bool = False) -> Data:
    return {"token": encode_token(token(value, static=static))}


def test_the_first_asker_gets_a_lease_and_the_others_its_token() -> None:
    office = FakeOffice()
    desk = Desk("demo", office)

    lease = desk.ask("gw0")
    assert lease == {"lease": True, "renewal": False, "supplied": {"demo_key": "demo-key-not-real"}}
    desk.publish(answer("t-1"))

    assert desk.ask("gw1") == answer("t-1")
    assert desk.ask("gw2") == answer("t-1")
    assert office.before == 1  # the credentials hook and memory: once
    assert desk.leases == 1
    assert desk.workers == {"gw0", "gw1", "gw2"}
    assert office.ended == [(answer("t-1"), False)]


def test_a_remembered_token_needs_no_lease() -> None:
    office = FakeOffice(early=answer("remembered"))
    desk = Desk("demo", office)

    assert desk.ask("gw0") == answer("remembered")
    assert desk.leases == office.grants == 0


def test_a_failure_is_the_answer_for_everyone_and_never_renewed() -> None:
    failure = {"failure": encode_failure(AuthError("Demo", "https://x", "HTTP 401"), str)}
    desk = Desk("demo", FakeOffice())
    desk.ask("gw0")
    desk.publish(failure)

    assert desk.ask("gw1") == failure
    assert desk.ask("gw1", held("t-1")) == failure
    assert desk.leases == 1


def test_waiters_wait_for_the_lease_and_get_the_published_token() -> None:
    desk = Desk("demo", FakeOffice())
    desk.ask("gw0")
    answers: list[Data] = []
    waiter = threading.Thread(target=lambda: answers.append(desk.ask("gw1")))
    waiter.start()
    desk.publish(answer("t-1"))
    waiter.join(timeout=10)

    assert answers == [answer("t-1")]


def test_a_lease_whose_holder_went_away_goes_to_the_next_worker() -> None:
    office = FakeOffice()
    desk = Desk("demo", office)
    desk.ask("gw0")
    answers: list[dict[str, object]] = []
    waiter = threading.Thread(target=lambda: answers.append(desk.ask("gw1")))
    waiter.start()

    desk.publish(None)  # the connection closed without a token: a crash
    waiter.join(timeout=10)

    assert [answer["lease"] for answer in answers] == [True]
    assert desk.leases == 2
    assert office.before == 1  # not asked again
    assert office.ended == [(None, False)]


def test_a_refused_token_is_renewed_once_then_everyone_gets_the_new_one() -> None:
    desk = Desk("demo", FakeOffice())
    desk.ask("gw0")
    desk.publish(answer("t-1"))

    renewal = desk.ask("gw1", held("t-1"))
    assert renewal["lease"] is True
    assert renewal["renewal"] is True
    desk.publish(answer("t-2"), held("t-1"))

    assert desk.ask("gw2", held("t-1")) == answer("t-2")  # already renewed
    assert desk.ask("gw0", held("t-1")) == answer("t-2")
    assert desk.leases == 2


def test_past_the_runs_renewal_budget_the_asking_worker_gets_the_failure_and_no_lease() -> None:
    office = FakeOffice()
    office.budget = 1
    desk = Desk("demo", office)
    desk.ask("gw0")
    desk.publish(answer("t-1"))
    assert desk.ask("gw1", held("t-1"))["lease"] is True  # the budget's one renewal
    desk.publish(answer("t-2"), held("t-1"))

    assert desk.ask("gw0", held("t-2")) == office.spent  # spent: no login for any worker
    assert desk.leases == 2
    assert desk.ask("gw1") == answer("t-2")  # the failure is not the run's answer
    assert desk.ask("gw1", held("t-1")) == answer("t-2")  # renewed already: no budget asked
    assert office.renewals == 2


def test_the_same_token_refused_again_after_its_renewal_is_not_renewed_twice() -> None:
    desk = Desk("demo", FakeOffice())
    desk.ask("gw0")
    desk.publish(answer("t-1"))
    desk.ask("gw1", held("t-1"))
    desk.publish(answer("t-1"), held("t-1"))  # the login gave the same token back

    assert desk.ask("gw2", held("t-1")) == answer("t-1")
    assert desk.leases == 2


def test_static_credentials_are_never_renewed() -> None:
    desk = Desk("demo", FakeOffice(early=answer("pat", static=True)))

    assert desk.ask("gw0", held("pat")) == answer("pat", static=True)
    assert desk.leases == 0


def test_an_account_refused_for_another_provider_answers_instead_of_a_lease() -> None:
    refused = {"failure": {"kind": "auth", "message": "not tried"}}
    office = FakeOffice(refuse=refused)
    desk = Desk("demo", office)

    assert desk.ask("gw0") == refused
    assert desk.ask("gw1") == refused
    assert office.grants == 1
    assert desk.leases == 0


def test_a_malformed_publication_frees_the_lease_without_an_answer() -> None:
    desk = Desk("demo", FakeOffice())
    desk.ask("gw0")
    desk.publish({"token": {"value": ""}})

    assert desk.answer is None
    assert desk.ask("gw1")["lease"] is True
