"""The token cache: one login, a remembered failure, renewal once, and only when it helps."""

from __future__ import annotations

import threading
import time

import pytest

from pytest_tm_auth.core import token as token_module
from pytest_tm_auth.core.cache import (
    FAILED,
    LOGGED_IN,
    RENEWAL_LIMIT,
    RENEWAL_WINDOW,
    Issued,
    Outcome,
    TokenCache,
)
from pytest_tm_auth.core.errors import AuthError, MissingCredentials, RenewalsRefused
from pytest_tm_auth.core.token import RENEW_BEFORE_EXPIRY, Token


class Logins:
    """A login step that hands out ``t-1``, ``t-2``, ... and counts its calls."""

    def __init__(self, *, static: bool = False, expires_in: float | None = None) -> None:
        self.calls: list[bool] = []
        self.static = static
        self.expires_in = expires_in
        self.fail_with: Exception | None = None

    def __call__(self, renewal: bool) -> Issued:
        self.calls.append(renewal)
        if self.fail_with is not None:
            raise self.fail_with
        expires = None if self.expires_in is None else time.time() + self.expires_in
        token = Token.bearer("demo", f"t-{len(self.calls)}", expires, static=self.static)
        return Issued(token, Outcome(LOGGED_IN, 0.1))


def test_the_first_use_logs_in_and_later_uses_reuse_the_token() -> None:
    logins = Logins()
    cache = TokenCache(logins)

    first, second = cache.current(), cache.current()

    assert first is second
    assert logins.calls == [False]
    assert cache.outcome == Outcome(LOGGED_IN, 0.1)


def test_a_failed_login_is_remembered_and_never_tried_again() -> None:
    logins = Logins()
    logins.fail_with = AuthError("Demo", "https://demo.invalid", "HTTP 401", status=401)
    cache = TokenCache(logins)

    for _ in range(3):
        with pytest.raises(AuthError) as raised:
            cache.current()
        assert raised.value is logins.fail_with

    assert logins.calls == [False]
    assert cache.failure is logins.fail_with
    assert cache.outcome is not None
    assert cache.outcome.how == FAILED


def test_missing_credentials_are_remembered_without_calling_the_run_a_failure() -> None:
    logins = Logins()
    logins.fail_with = MissingCredentials("Demo credentials not set")
    cache = TokenCache(logins)

    with pytest.raises(MissingCredentials):
        cache.current()
    with pytest.raises(MissingCredentials):
        cache.current()

    assert logins.calls == [False]
    assert cache.outcome is None


def test_a_refused_token_is_renewed_once_for_every_caller_that_saw_it_refused() -> None:
    logins = Logins()
    cache = TokenCache(logins)
    refused = cache.current().header

    fresh = cache.renew(refused)
    again = cache.renew(refused)  # a second thread that saw the same refusal

    assert fresh is not None
    assert fresh.value == "t-2"
    assert again is fresh
    assert logins.calls == [False, True]
    assert cache.renewals == 1


def test_static_credentials_are_never_renewed() -> None:
    """A PAT or password: logging in again cannot replace it, and may lock the account."""
    logins = Logins(static=True)
    cache = TokenCache(logins)

    assert cache.renew(cache.current().header) is None
    assert logins.calls == [False]


def test_a_renewal_that_returns_the_refused_token_is_not_tried_again() -> None:
    token = Token.bearer("demo", "always-the-same")
    calls: list[bool] = []

    def same(renewal: bool) -> Issued:  # a service that issues the same token again
        calls.append(renewal)
        return Issued(token, Outcome(LOGGED_IN))

    cache = TokenCache(same)
    cache.current()

    assert cache.renew(token.header) is None
    assert cache.renew(token.header) is None  # futile: no login per request
    assert calls == [False, True]
    assert cache.renewals == 0


def test_a_fresh_token_refused_at_once_is_not_renewed_again() -> None:
    logins = Logins()
    cache = TokenCache(logins)
    fresh = cache.renew(cache.current().header)
    assert fresh is not None

    cache.futile(fresh.header)

    assert cache.renew(fresh.header) is None
    assert logins.calls == [False, True]


def test_a_failed_renewal_is_remembered_like_a_failed_login() -> None:
    logins = Logins()
    cache = TokenCache(logins)
    refused = cache.current().header
    logins.fail_with = AuthError("Demo", "https://demo.invalid", "HTTP 401", status=401)

    assert cache.renew(refused) is None
    assert cache.renew(refused) is None  # not tried again: the requests get their 401s
    assert cache.failure is logins.fail_with
    assert logins.calls == [False, True]


class Clock:
    """``time.time`` as the token module sees it, moved by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now


def test_a_token_about_to_lapse_is_renewed_before_it_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = Clock()
    monkeypatch.setattr(token_module, "time", clock)
    monkeypatch.setattr(time, "time", clock.time)  # what Logins stamps its tokens with
    logins = Logins(expires_in=3600)
    cache = TokenCache(logins)
    first = cache.current()
    assert cache.current() is first
    clock.now += 3600 - RENEW_BEFORE_EXPIRY + 1

    second = cache.current()

    assert second.value == "t-2"
    assert logins.calls == [False, True]
    assert cache.renewals == 1


def test_threads_asking_at_once_share_one_login() -> None:
    started = threading.Event()

    class Slow(Logins):
        def __call__(self, renewal: bool) -> Issued:
            started.wait(1)
            return super().__call__(renewal)

    logins = Slow()
    cache = TokenCache(logins)
    seen: list[Token] = []
    threads = [threading.Thread(target=lambda: seen.append(cache.current())) for _ in range(8)]
    for thread in threads:
        thread.start()
    started.set()
    for thread in threads:
        thread.join(5)

    assert logins.calls == [False]
    assert len({token.value for token in seen}) == 1
    assert len(seen) == 8


def test_tokens_from_elsewhere_and_failures_from_elsewhere_are_adopted() -> None:
    heard: list[str] = []
    first_use: list[bool] = []
    cache = TokenCache(Logins(), learn=heard.append, on_first_use=lambda: first_use.append(True))
    shared = Token.bearer("demo", "shared")

    cache.seed(shared, "shared from the controller")

    assert cache.current() is shared
    assert heard == [shared.value]
    assert first_use == [True]
    assert cache.outcome == Outcome("shared from the controller")
    failure = AuthError("Demo", "https://demo.invalid", "HTTP 403", status=403)
    failing = TokenCache(Logins())
    failing.fail_with(failure)
    with pytest.raises(AuthError) as raised:
        failing.current()
    assert raised.value is failure


def test_renewals_past_the_budget_raise_until_the_window_moves_on() -> None:
    logins = Logins()
    now = [1000.0]
    cache = TokenCache(logins, clock=lambda: now[0])
    cache.current()

    for _ in range(RENEWAL_LIMIT):
        renewed = cache.renew(cache.current().header)
        assert renewed is not None
    with pytest.raises(RenewalsRefused, match="demo: the service keeps refusing fresh tokens"):
        cache.renew(cache.current().header)
    assert len(logins.calls) == 1 + RENEWAL_LIMIT

    now[0] += RENEWAL_WINDOW
    assert cache.renew(cache.current().header) is not None
    assert len(logins.calls) == 2 + RENEWAL_LIMIT
