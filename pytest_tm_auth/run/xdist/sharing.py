"""One login per run under pytest-xdist, on first use: a login broker in the controller.

The controller starts a broker (:mod:`.broker`) before its first local worker and hands
each worker its contact (an address and a random key) through ``workerinput``; it logs in
to nothing up front. A worker asks the broker on a provider's first use; the first to ask
logs in for everyone. Where a worker cannot reach the broker (:func:`route`):

- an ssh gateway (or another encrypted remote one): the controller logs in to every
  configured provider before such a worker starts and shares the outcome through
  ``workerinput``, as a login on first use cannot reach that worker;
- an unencrypted ``--tx socket=`` gateway: nothing is shared (a token would cross the
  network in clear); each such worker logs in itself, with a warning.

Each worker reports through ``workeroutput`` which providers its tests used and how many
tests each ended. This module never imports xdist: the controller's hooks live in
:class:`SharedLogin`, registered only when xdist distributes, and are optional hooks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import pytest

from pytest_tm_auth.core.cache import Outcome
from pytest_tm_auth.core.codec import decode_failure, decode_target, decode_token, encode_failure
from pytest_tm_auth.core.errors import TmAuthError
from pytest_tm_auth.core.ratelimit import Budgets
from pytest_tm_auth.core.values import Values
from pytest_tm_auth.run.plugin_base import (
    KEY,
    POSTED,
    POSTER,
    HooksOnly,
    from_controller,
    standin_settings,
)
from pytest_tm_auth.run.state import ProviderRun
from pytest_tm_auth.run.warnings import UnencryptedGatewayWarning, issue_at
from pytest_tm_auth.run.xdist.broker import (
    SHARED,
    Broker,
    BrokeredLogin,
    Poster,
    failed,
    share,
    shared,
)

#: How a worker gets its tokens (:func:`route`).
BROKER, WORKERINPUT, ALONE = "broker", "workerinput", "alone"
UNENCRYPTED = (
    "tm-auth: a --tx socket= worker is not sent tokens over an unencrypted gateway; "
    "each such worker logs in itself"
)


class WorkerNode(Protocol):
    """What this module uses of xdist's ``WorkerController``."""

    workerinput: dict[str, Any]


def route(spec: object) -> str:
    """How a worker started from the execnet ``spec`` gets its tokens.

    A local ``popen`` worker reaches the broker; a ``socket`` gateway (or one ``via``
    another gateway, which may be one) is unencrypted: the worker logs in alone;
    anything else (``ssh``, ``vagrant_ssh``) gets the controller's outcome up front.
    """
    if getattr(spec, "socket", None) or getattr(spec, "via", None):
        return ALONE
    if getattr(spec, "popen", False):
        return BROKER
    return WORKERINPUT


class SharedLogin(HooksOnly):
    """The controller's side: the broker, the fallbacks, and the workers' reports."""

    def __init__(
        self,
        config: pytest.Config,
        states: Mapping[str, ProviderRun],
        values: Values,
        budgets: Callable[[], Budgets] | None = None,
    ) -> None:
        self._config = config
        self._states = states
        self._values = values
        self.broker = Broker(states, budgets, config.stash.setdefault(POSTED, {}))
        self.workers: set[str] = set()
        self.routes: set[str] = set()
        self.totals = WorkerTotals(states)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: WorkerNode) -> None:
        """Tell the worker how to get tokens (also a worker replacing a crashed one)."""
        how = route(getattr(getattr(node, "gateway", None), "spec", None))
        self.routes.add(how)
        given: dict[str, Any] = {"sandbox": standin_settings(self._values)}
        if how == BROKER:
            given["broker"] = self.broker.contact()
        elif how == WORKERINPUT:
            given["providers"] = self.outcomes()
        elif UNENCRYPTED not in self.routes:
            self.routes.add(UNENCRYPTED)
            warning = UnencryptedGatewayWarning(UNENCRYPTED)
            issue_at(self._config, warning, ("--tx socket= (the command line)", 1))
        node.workerinput[KEY] = given
        self.workers.add(str(node.workerinput.get("workerid", len(self.workers))))

    def pytest_unconfigure(self) -> None:
        """The broker stops with the run; its socket and directory go with it."""
        self.broker.stop()

    def outcomes(self) -> dict[str, dict[str, Any]]:
        """The ssh fallback: every provider's token or failure, logging in on first call."""
        given = {}
        for name, state in self._states.items():
            try:
                given[name] = shared(state.token(), state)
            except TmAuthError as failure:
                given[name] = failed(failure, state)
            self.broker.desks[name].settle(given[name])
        return given

    def note(self, name: str) -> str:
        """``, shared with 3 workers`` (or how else) for the provider's summary line."""
        desk = self.broker.desks[name]
        state = self._states[name]
        if state.peek() is None or state.failure is not None:
            return ""
        count = len(desk.workers) if BROKER in self.routes else len(self.workers)
        note = f", shared with {count} worker{'s' * (count != 1)}" if count else ""
        if WORKERINPUT in self.routes:
            note += " (remote workers: logged in before they started)"
        renewals = self.totals.renewals.get(name, 0)
        if renewals:
            note += f", renewed {renewals} time{'s' * (renewals != 1)} by workers"
        return note


class WorkerTotals(HooksOnly):
    """The controller adds up what each worker's tests did with each provider.

    Registered apart from :class:`SharedLogin`, so that ``-p no:tm_auth_xdist`` (each worker
    logs in itself) still has its summary: the workers' own outcomes, and how many logged in.
    """

    def __init__(self, states: Mapping[str, ProviderRun]) -> None:
        self._states = states
        self.renewals: dict[str, int] = {}
        self.alone: dict[str, int] = {}

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any) -> None:
        """Add up which providers the worker's tests used and how many tests each ended."""
        output = getattr(node, "workeroutput", None)
        report = output.get(KEY) if isinstance(output, dict) else None
        if not isinstance(report, dict):
            return
        for name, seen in report.items():
            state = self._states.get(name)
            if state is None or not isinstance(seen, dict):
                continue
            state.used = state.used or seen.get("used") is True
            self.renewals[name] = self.renewals.get(name, 0) + _count(seen, "renewals")
            state.skipped += _count(seen, "skipped")
            state.failed_tests += _count(seen, "failed_tests")
            if seen.get("alone") is True:
                self.alone[name] = self.alone.get(name, 0) + 1
                _adopt_outcome(state, seen)

    def note(self, name: str) -> str:
        """``, logged in by each of 2 workers`` when workers did not share a login."""
        count = self.alone.get(name, 0)
        return f", logged in by each of {count} workers" if count > 1 else ""


def _adopt_outcome(state: ProviderRun, seen: Mapping[str, Any]) -> None:
    """A worker's own login outcome, when the controller saw none (nothing was shared)."""
    if state.outcome is not None or state.failure is not None:
        return
    failure, outcome = seen.get("failure"), seen.get("outcome")
    if isinstance(failure, dict):
        state.cache.fail_with(decode_failure(failure), failed=failure.get("kind") != "missing")
    elif isinstance(outcome, dict) and isinstance(outcome.get("how"), str):
        seconds, retries = outcome.get("seconds"), outcome.get("retries")
        state.reported = Outcome(
            outcome["how"],
            float(seconds) if isinstance(seconds, (int, float)) else 0.0,
            retries if isinstance(retries, str) else "",
        )


def _count(seen: Mapping[str, Any], name: str) -> int:
    """A count a worker reported; anything but a whole number of zero or more is 0."""
    number = seen.get(name)
    return number if type(number) is int and number > 0 else 0


def adopt(
    config: pytest.Config,
    states: Mapping[str, ProviderRun],
    learn: Callable[..., None],
    budgets: Callable[[], Budgets] | None = None,
) -> bool:
    """In a worker: log in through the broker, or seed the controller's outcomes; take the
    rate ``budgets``' permits from the broker.

    Returns whether the worker reaches a broker (the controller keeps the token memory).
    """
    given = from_controller(config)
    contact = given.get("broker")
    if isinstance(contact, dict):
        if budgets is not None:
            share(budgets(), contact)
        worker = str(getattr(config, "workerinput", {}).get("workerid", "?"))
        poster: Callable[[str, Mapping[str, Any]], bool] = Poster(contact, worker)
        config.stash[POSTER] = poster
        for run in states.values():
            run.cache.delegate(BrokeredLogin(run, contact, worker, learn))
        return True
    outcomes = given.get("providers")
    for name, outcome in (outcomes if isinstance(outcomes, dict) else {}).items():
        state = states.get(name)
        if state is None or not isinstance(outcome, dict):
            continue
        token = decode_token(outcome.get("token"), name)
        failure = outcome.get("failure")
        if token is not None:
            target = decode_target(outcome.get("target"))
            if target is not None and state.target != target:  # a hook, or the gateway
                state.configured.adopt(target)
            state.cache.seed(token, SHARED)
        elif isinstance(failure, dict):
            state.cache.fail_with(decode_failure(failure))
    return False


def brokered(config: pytest.Config) -> bool:
    """In a worker: whether it gets its tokens from the broker."""
    return isinstance(from_controller(config).get("broker"), dict)


def alone(config: pytest.Config) -> bool:
    """In a worker: nothing is shared with it (``-p no:tm_auth_xdist``, ``--tx socket=``)."""
    given = from_controller(config)
    return "broker" not in given and "providers" not in given


class WorkerReport(HooksOnly):
    """A worker's side: tell the controller what its tests did with each provider."""

    def __init__(
        self,
        config: pytest.Config,
        states: Mapping[str, ProviderRun],
        *,
        brokered: bool,
        alone: bool = False,
    ) -> None:
        self._config = config
        self._states = states
        self._brokered = brokered  # the broker counts renewals itself
        self._alone = alone  # nothing shared with this worker: it reports its own outcome

    def pytest_sessionfinish(self) -> None:
        output = getattr(self._config, "workeroutput", None)
        if isinstance(output, dict):
            output[KEY] = {name: self._seen(state) for name, state in self._states.items()}

    def _seen(self, state: ProviderRun) -> dict[str, Any]:
        seen: dict[str, Any] = {
            "used": state.used,
            "renewals": 0 if self._brokered else state.renewals,
            "skipped": state.skipped,
            "failed_tests": state.failed_tests,
        }
        outcome, failure = state.outcome, state.failure
        if self._alone and (outcome is not None or failure is not None):
            seen["alone"] = True  # logged in itself: the controller has no outcome to show
            if failure is not None:
                seen["failure"] = encode_failure(failure, state.scrub)
            elif outcome is not None:
                seen["outcome"] = {"how": outcome.how, "seconds": outcome.seconds}
                seen["outcome"]["retries"] = state.scrub(outcome.retries)
        return seen
