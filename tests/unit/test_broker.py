"""The broker end to end over its real channel, with fake hooks and no server or pytest run.

A controller's provider and two workers' providers, each a real ``ProviderRun`` over the
small fakes: the controller asks the credentials hook and the memory, a worker logs in.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from pytest_tm_auth.core.cache import RENEWAL_LIMIT
from pytest_tm_auth.core.errors import AuthError, RenewalsRefused, TmAuthError
from pytest_tm_auth.core.scrub import Scrubber
from pytest_tm_auth.core.token import Token
from pytest_tm_auth.run.state import ProviderRun
from pytest_tm_auth.run.xdist.broker import SHARED, Broker, BrokeredLogin
from pytest_tm_auth.run.xdist.sharing import ALONE, BROKER, WORKERINPUT, route
from tests.unit.fakes import DemoProvider, FakeConnector, FakeHooks, FakeMemory, values

CONFIGURED = {"DEMO_URL": "https://demo.example", "DEMO_KEY": "demo-key-not-real"}


def provider_run(hooks: FakeHooks, **environ: str) -> ProviderRun:
    return ProviderRun(
        DemoProvider(),
        values(**environ),
        hooks=hooks,
        transport=FakeConnector,  # type: ignore[arg-type]
        scrubber=Scrubber(),
        session_hook=lambda provider, session: None,
    )


class Run:
    """A controller with its broker, and workers that reach it."""

    def __init__(self, controller_hooks: FakeHooks, **environ: str) -> None:
        self.hooks = controller_hooks
        self.controller = provider_run(controller_hooks, **environ)
        self.broker = Broker({"demo": self.controller})
        self.contact = self.broker.contact()
        self.worker_hooks: list[FakeHooks] = []

    def worker(self, issue: Any = None, **environ: str) -> ProviderRun:
        hooks = FakeHooks(issue)
        self.worker_hooks.append(hooks)
        state = provider_run(hooks, **environ)
        worker = f"gw{len(self.worker_hooks) - 1}"
        state.cache.delegate(BrokeredLogin(state, self.contact, worker, Scrubber().add))
        return state


@pytest.fixture
def run() -> Iterator[Run]:
    broker_run = Run(FakeHooks(), **CONFIGURED)
    yield broker_run
    broker_run.broker.stop()


def test_one_worker_logs_in_and_the_other_gets_its_token(run: Run) -> None:
    first, second = run.worker(**CONFIGURED), run.worker(**CONFIGURED)

    token = first.token()
    assert second.token() == token
    assert first.outcome is not None
    assert first.outcome.how == "logged in"
    assert second.outcome is not None
    assert second.outcome.how == SHARED
    assert [hooks.calls.count("authenticate") for hooks in run.worker_hooks] == [1, 0]
    assert run.controller.peek() == token  # for the summary
    assert run.hooks.calls == ["credentials"]  # asked once, in the controller
    assert [hooks.calls.count("credentials") for hooks in run.worker_hooks] == [0, 0]


def test_what_the_controllers_hook_supplies_reaches_the_lease_holder() -> None:
    supplied = {"demo_url": "https://hooked.example", "demo_key": "demo-hooked-not-real"}
    hooked = Run(FakeHooks(supplied=supplied))
    try:
        worker = hooked.worker()  # nothing configured in the worker itself

        worker.token()

        (login,) = hooked.worker_hooks[0].logins
        assert login.target.url == "https://hooked.example"
        assert hooked.controller.target is not None
    finally:
        hooked.broker.stop()


def test_a_failure_is_shared_with_the_same_message(run: Run) -> None:
    def refuse(login: Any) -> Token:
        raise AuthError("Demo", "https://demo.example", "HTTP 401: no", fix="fix the key")

    first, second = run.worker(refuse, **CONFIGURED), run.worker(**CONFIGURED)

    with pytest.raises(TmAuthError) as one:
        first.token()
    with pytest.raises(TmAuthError) as other:
        second.token()
    assert str(one.value) == str(other.value)
    assert run.worker_hooks[1].calls == []
    assert run.controller.failure is not None


def test_a_refused_token_is_renewed_once_for_all_workers(run: Run) -> None:
    issued = iter(["t-1", "t-2", "t-3"])
    first = run.worker(lambda login: Token.bearer("demo", next(issued)), **CONFIGURED)
    second = run.worker(lambda login: Token.bearer("demo", next(issued)), **CONFIGURED)
    old = first.token()
    assert second.token() == old

    fresh = second.cache.renew(str(old.header))
    again = first.cache.renew(str(old.header))

    assert fresh is not None
    assert str(fresh.value) == "t-2"
    assert again == fresh
    logins = [hooks.calls.count("authenticate") for hooks in run.worker_hooks]
    assert sum(logins) == 2
    assert run.controller.renewals == 1


def test_the_renewal_budget_is_the_runs_not_each_workers(run: Run) -> None:
    """The second worker renews once itself: its own budget would allow more."""
    issued = (f"t-{number}" for number in range(1, 10))
    first = run.worker(lambda login: Token.bearer("demo", next(issued)), **CONFIGURED)
    second = run.worker(lambda login: Token.bearer("demo", next(issued)), **CONFIGURED)
    token = first_token = first.token()
    assert second.token() == first_token
    for _ in range(RENEWAL_LIMIT):  # the first worker spends the run's budget alone
        renewed = first.cache.renew(str(token.header))
        assert renewed is not None
        token = renewed
    caught_up = second.cache.renew(str(first_token.header))  # no login: the newest token
    assert caught_up == token

    with pytest.raises(RenewalsRefused, match="keeps refusing fresh tokens"):
        second.cache.renew(str(token.header))

    logins = [hooks.calls.count("authenticate") for hooks in run.worker_hooks]
    assert sum(logins) == 1 + RENEWAL_LIMIT


def test_remembered_tokens_are_recalled_by_the_broker() -> None:
    remembered = Run(FakeHooks(), **CONFIGURED)
    memory = FakeMemory(Token.bearer("demo", "remembered"))
    remembered.controller.login.environment.memory = memory
    try:
        worker = remembered.worker(**CONFIGURED)

        assert str(worker.token().value) == "remembered"
        assert remembered.worker_hooks[0].calls == []
        assert memory.recalls == 1
    finally:
        remembered.broker.stop()


def test_a_new_token_is_stored_by_the_broker() -> None:
    remembering = Run(FakeHooks(), **CONFIGURED)
    memory = FakeMemory()
    remembering.controller.login.environment.memory = memory
    try:
        token = remembering.worker(**CONFIGURED).token()
        assert memory.kept == [token]
    finally:
        remembering.broker.stop()


def test_a_worker_whose_broker_is_gone_logs_in_itself(run: Run) -> None:
    worker = run.worker(**CONFIGURED)
    run.broker.stop()

    worker.token()

    assert run.worker_hooks[0].calls == ["credentials", "authenticate", "authenticated"]


class Spec:
    """The parts of an execnet ``XSpec`` that :func:`route` reads."""

    def __init__(self, **parts: object) -> None:
        self.popen = parts.get("popen", False)
        self.ssh = parts.get("ssh")
        self.socket = parts.get("socket")
        self.via = parts.get("via")


@pytest.mark.parametrize(
    ("spec", "how"),
    [
        (Spec(popen=True), BROKER),
        (Spec(ssh="ci@build-host"), WORKERINPUT),
        (Spec(socket="192.168.1.5:8888"), ALONE),
        (Spec(popen=True, via="gw0"), ALONE),
        (None, WORKERINPUT),
    ],
    ids=["popen", "ssh", "socket", "via", "unknown"],
)
def test_how_each_kind_of_worker_gets_its_tokens(spec: object, how: str) -> None:
    assert route(spec) == how


class FakeConfig:
    """The controller's config, as far as the fallbacks use it: its warnings, and its stash
    (what workers post is kept there)."""

    def __init__(self) -> None:
        self.warnings: list[Warning] = []
        self.stash = pytest.Stash()

    def issue_config_time_warning(self, warning: Warning, stacklevel: int) -> None:
        self.warnings.append(warning)


class Node:
    """An xdist ``WorkerController`` as far as ``pytest_configure_node`` reads it."""

    def __init__(self, spec: Spec, workerid: str) -> None:
        self.gateway = type("Gateway", (), {"spec": spec})()
        self.workerinput: dict[str, Any] = {"workerid": workerid}


def configure(*specs: Spec) -> tuple[list[dict[str, Any]], FakeConfig, FakeHooks, Any]:
    from pytest_tm_auth.run.plugin_base import KEY
    from pytest_tm_auth.run.xdist.sharing import SharedLogin

    hooks = FakeHooks()
    controller = provider_run(hooks, **CONFIGURED)
    config = FakeConfig()
    sharing = SharedLogin(config, {"demo": controller}, values(**CONFIGURED))  # type: ignore[arg-type]
    nodes = [Node(spec, f"gw{number}") for number, spec in enumerate(specs)]
    try:
        for node in nodes:
            sharing.pytest_configure_node(node)
    finally:
        sharing.pytest_unconfigure()
    return [node.workerinput[KEY] for node in nodes], config, hooks, sharing


def test_local_workers_get_the_broker_and_no_login_is_made() -> None:
    given, config, hooks, _ = configure(Spec(popen=True), Spec(popen=True))

    assert [set(each) for each in given] == [{"broker", "sandbox"}] * 2
    assert given[0]["broker"] == given[1]["broker"]
    assert hooks.calls == []  # nothing asked, nothing logged in to
    assert config.warnings == []


def test_ssh_workers_get_the_outcome_logged_in_before_they_start() -> None:
    given, _, hooks, sharing = configure(Spec(ssh="ci@build-host"))

    (remote,) = given
    assert set(remote["providers"]["demo"]) == {"token", "target"}
    assert hooks.calls == ["credentials", "authenticate", "authenticated"]
    assert sharing.note("demo") == (
        ", shared with 1 worker (remote workers: logged in before they started)"
    )


def test_socket_workers_get_no_token_and_a_warning() -> None:
    given, config, hooks, _ = configure(Spec(socket="192.168.1.5:8888"), Spec(socket="x:1"))

    assert [set(each) for each in given] == [{"sandbox"}] * 2
    assert hooks.calls == []
    (warning,) = config.warnings  # once per run
    assert "unencrypted" in str(warning)
