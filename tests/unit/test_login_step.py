"""The login step: hooks asked in order and once, accounts refused once, tokens remembered."""

from __future__ import annotations

import pytest

from pytest_tm_auth.core.accounts import Accounts
from pytest_tm_auth.core.cache import LOGGED_IN, REMEMBERED
from pytest_tm_auth.core.errors import AuthError, MissingCredentials
from pytest_tm_auth.core.login_step import Configured, LoginEnvironment, LoginStep
from pytest_tm_auth.core.provider import Login
from pytest_tm_auth.core.token import Token
from tests.unit.fakes import (
    DemoProvider,
    FakeConnector,
    FakeHooks,
    FakeMemory,
    SharedDemoProvider,
    values,
)

CONFIGURED = {"DEMO_URL": "https://demo.invalid", "DEMO_KEY": "demo-key-not-real"}


def step(
    hooks: FakeHooks,
    provider: DemoProvider | None = None,
    *,
    environ: dict[str, str] = CONFIGURED,
    accounts: Accounts | None = None,
    memory: FakeMemory | None = None,
    learnt: list[str] | None = None,
) -> LoginStep:
    configured = Configured(provider or DemoProvider(), values(**environ))
    connector = FakeConnector()
    sink = [] if learnt is None else learnt
    environment = LoginEnvironment(
        hooks,
        lambda: connector,
        learn=lambda *secrets: sink.extend(secrets),
        accounts=accounts,
        memory=memory,
    )
    return LoginStep(configured, environment)


def test_a_login_asks_the_hooks_in_order_and_reports_how() -> None:
    hooks = FakeHooks()

    issued = step(hooks)(False)

    assert hooks.calls == ["credentials", "authenticate", "authenticated"]
    assert issued.token.value == "t-1"
    assert issued.outcome.how == LOGGED_IN
    assert hooks.notified == [issued.token]
    login = hooks.logins[0]
    assert isinstance(login, Login)
    assert login.target.url == "https://demo.invalid"


def test_the_credentials_hook_is_asked_once_also_for_a_renewal() -> None:
    hooks = FakeHooks()
    login = step(hooks)

    login(False)
    login(True)

    assert hooks.calls.count("credentials") == 1
    assert hooks.calls.count("authenticate") == 2


def test_values_from_the_credentials_hook_win_and_their_secrets_are_learnt() -> None:
    hooks = FakeHooks(supplied={"demo_key": "vault-key-not-real"})
    learnt: list[str] = []
    login = step(hooks, environ={"DEMO_URL": "https://demo.invalid"}, learnt=learnt)
    assert login.configured.missing is not None  # not configured before the hook

    login(False)

    assert login.configured.missing is None
    assert hooks.logins[0].values.text("demo_key") == "vault-key-not-real"
    assert str(hooks.logins[0].values.source("demo_key")) == "the pytest_tm_auth_credentials hook"
    assert "vault-key-not-real" in learnt


def test_missing_credentials_stop_before_any_request() -> None:
    hooks = FakeHooks()
    connector = FakeConnector()
    environment = LoginEnvironment(hooks, lambda: connector, learn=lambda *s: None)
    login = LoginStep(Configured(DemoProvider(), values()), environment)

    with pytest.raises(MissingCredentials, match="DEMO_URL and DEMO_KEY"):
        login(False)

    assert hooks.calls == ["credentials"]
    assert connector.opened == 0


def test_no_token_from_any_hook_is_an_error_naming_the_provider() -> None:
    hooks = FakeHooks(issue=lambda login: None)

    with pytest.raises(AuthError, match=r"Demo login failed at .*no authenticate hook returned"):
        step(hooks)(False)


def test_an_unexpected_error_in_a_hook_becomes_the_providers_error() -> None:
    def broken(login: Login) -> Token:
        raise ValueError("boom")

    with pytest.raises(AuthError, match="a hook or provider raised ValueError: boom"):
        step(FakeHooks(issue=broken))(False)


def test_an_exception_that_ends_the_run_passes_through() -> None:
    def stop(login: Login) -> Token:
        raise KeyboardInterrupt  # FakeHooks.stops_run, as pytest.exit is for pytest

    with pytest.raises(KeyboardInterrupt):
        step(FakeHooks(issue=stop))(False)


def test_a_remembered_token_is_used_on_first_login_but_not_for_a_renewal() -> None:
    remembered = Token.bearer("demo", "remembered", 4_000_000_000.0)
    memory = FakeMemory(remembered)
    hooks = FakeHooks()
    login = step(hooks, memory=memory)

    first = login(False)
    renewed = login(True)

    assert first.token is remembered
    assert first.outcome.how == REMEMBERED
    assert renewed.token.value == "t-1"
    assert memory.recalls == 1
    assert memory.kept == [renewed.token]
    assert hooks.calls == ["credentials", "authenticate", "authenticated"]  # one login request


def test_an_account_refused_once_is_not_tried_by_another_provider() -> None:
    refused = AuthError("Demo", "https://demo.invalid", "HTTP 401: no", fix="check it", status=401)

    def refuse(login: Login) -> Token:
        raise refused

    accounts = Accounts()
    first_hooks, second_hooks = FakeHooks(issue=refuse), FakeHooks()
    first = step(first_hooks, SharedDemoProvider("one"), accounts=accounts)
    second = step(second_hooks, SharedDemoProvider("two"), accounts=accounts)

    with pytest.raises(AuthError):
        first(False)
    with pytest.raises(AuthError, match="not tried: the same credentials were just refused"):
        second(False)

    assert "authenticate" not in second_hooks.calls


def test_an_accepted_account_refused_by_one_service_still_serves_the_others() -> None:
    def unlicensed(login: Login) -> Token:
        raise AuthError("Demo", "https://demo.invalid", "HTTP 403: not licensed", status=403)

    accounts = Accounts()
    step(FakeHooks(), SharedDemoProvider("one"), accounts=accounts)(False)
    with pytest.raises(AuthError, match="not licensed"):
        step(FakeHooks(issue=unlicensed), SharedDemoProvider("two"), accounts=accounts)(False)

    third = FakeHooks()
    step(third, SharedDemoProvider("three"), accounts=accounts)(False)
    assert "authenticate" in third.calls


def test_providers_that_do_not_share_accounts_never_consult_the_ledger() -> None:
    def refuse(login: Login) -> Token:
        raise AuthError("Demo", "https://demo.invalid", "HTTP 401", status=401)

    accounts = Accounts()
    with pytest.raises(AuthError):
        step(FakeHooks(issue=refuse), accounts=accounts)(False)
    again = FakeHooks()
    step(again, DemoProvider("other"), accounts=accounts)(False)
    assert "authenticate" in again.calls


def test_a_login_that_relocates_moves_the_target_and_is_not_remembered() -> None:
    def relocating(login: Login) -> Token:
        login.relocate(login.target._replace(api_url="https://gateway.invalid/api/"))
        return Token.bearer("demo", "t-moved", 4102444800.0)

    memory = FakeMemory()
    login = step(FakeHooks(issue=relocating), memory=memory)

    login(False)

    assert login.configured.target is not None
    assert login.configured.target.api_url == "https://gateway.invalid/api/"
    assert memory.kept == []  # a remembered token could not say where it works


def test_a_relocation_of_a_failed_login_is_not_taken() -> None:
    def failing(login: Login) -> Token:
        login.relocate(login.target._replace(api_url="https://gateway.invalid/api/"))
        raise AuthError("Demo", login.target.url, "HTTP 401", status=401)

    login = step(FakeHooks(issue=failing))

    with pytest.raises(AuthError):
        login(False)
    assert login.configured.target is not None
    assert login.configured.target.api_url == "https://demo.invalid/api/"


def test_a_token_is_learned_as_it_is_made_before_its_check_refuses_it() -> None:
    learnt: list[str] = []
    made_then: list[list[str]] = []

    def issue(login: Login) -> Token:
        token = Token.bearer("demo", "demo-expired-token-not-real", expires_at=1.0)
        made_then.append(list(learnt))  # what was learned once the token existed
        return token

    with pytest.raises(AuthError, match="already expired when it arrived"):
        step(FakeHooks(issue), learnt=learnt)(False)

    assert "demo-expired-token-not-real" in made_then[0]


@pytest.mark.parametrize(
    ("answer", "learned"),
    [
        (b'"demo-jwt-not-real "', ["demo-jwt-not-real ", "demo-jwt-not-real"]),
        (b'{"access_token": "demo-access-not-real", "expires_in": 3600}', ["demo-access-not-real"]),
        (b'{"error": "invalid_client"}', []),
        (b"[" * 5000, []),
    ],
)
def test_what_a_login_answer_issues_is_learned_while_a_login_runs(
    answer: bytes, learned: list[str]
) -> None:
    from pytest_tm_auth.core.token import learn_answer, learning

    learnt: list[str] = []
    learn_answer(b'"demo-outside-any-login-not-real"')  # no login: nobody to tell
    with learning(lambda *values: learnt.extend(values)):
        learn_answer(answer)

    assert learnt == learned


@pytest.mark.parametrize(
    ("fix", "said"),
    [
        ("check DEMO_KEY", "check demo_key from the pytest_tm_auth_credentials hook (conftest.py)"),
        ("ask an admin", "ask an admin; demo_key came from the pytest_tm_auth_credentials hook"),
    ],
)
def test_a_refusal_names_the_credentials_hook_that_supplied_the_values(fix: str, said: str) -> None:
    def refuse(login: Login) -> Token:
        raise AuthError("Demo", login.target.url, "HTTP 401", fix=fix, status=401)

    hooks = FakeHooks(refuse, supplied={"demo_key": "demo-hook-key-not-real"})
    configured = Configured(DemoProvider(), values(**CONFIGURED), lambda: "conftest.py")
    login = LoginStep(configured, LoginEnvironment(hooks, FakeConnector, learn=lambda *s: None))

    with pytest.raises(AuthError) as refused:
        login(False)

    assert refused.value.fix.startswith(said)
    assert "DEMO_KEY" not in str(refused.value)
