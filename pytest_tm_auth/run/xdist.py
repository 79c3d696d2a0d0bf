"""One login per run under pytest-xdist: the controller logs in, workers get its token.

The controller logs in (or recalls a remembered token) once per provider just before it
starts the first worker, and hands every worker plain data through ``workerinput``: the
token, or the failure each test should report without trying again. Nothing is written to
disk for this. Workers renew on their own when a shared token lapses or is refused, and
report back through ``workeroutput`` which providers their tests used, what they renewed,
and how many tests each provider skipped or failed, for the controller's summary.

This module never imports xdist: the controller's hooks live in :class:`SharedLogin`, which
the plugin registers only when xdist is active, and are marked optional besides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import pytest

from pytest_tm_auth.core.codec import (
    decode_failure,
    decode_target,
    decode_token,
    encode_failure,
    encode_target,
    encode_token,
)
from pytest_tm_auth.core.errors import MissingCredentials, TmAuthError
from pytest_tm_auth.run.standin import standin_settings
from pytest_tm_auth.run.state import ProviderRun
from pytest_tm_auth.settings.model import Values

#: The key of this plugin's data in ``workerinput`` and ``workeroutput``.
KEY = "tm_auth"
SHARED = "shared from the controller"


class WorkerNode(Protocol):
    """What this module uses of xdist's ``WorkerController``."""

    workerinput: dict[str, Any]


class SharedLogin:
    """The controller's side: log in once, give each worker the outcome, count the workers."""

    def __init__(self, states: Mapping[str, ProviderRun], values: Values) -> None:
        self._states = states
        self._values = values
        self.workers: set[str] = set()
        self.worker_renewals: dict[str, int] = {}
        self.used_by_workers: set[str] = set()

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_setupnodes(self) -> None:
        """Log in before the first worker starts, so that all of them get the same token."""
        self.outcomes()

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: WorkerNode) -> None:
        """Give the worker the tokens or failures (also a worker replacing a crashed one)."""
        sandbox = standin_settings(self._values)
        node.workerinput[KEY] = {"providers": self.outcomes(), "sandbox": sandbox}
        self.workers.add(str(node.workerinput.get("workerid", len(self.workers))))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any) -> None:
        """Add up which providers the worker's tests used, what it renewed, what it ended."""
        output = getattr(node, "workeroutput", None)
        report = output.get(KEY) if isinstance(output, dict) else None
        if not isinstance(report, dict):
            return
        for name, seen in report.items():
            state = self._states.get(name)
            if state is None or not isinstance(seen, dict):
                continue
            if seen.get("used"):
                self.used_by_workers.add(name)
            self.worker_renewals[name] = self.worker_renewals.get(name, 0) + _count(
                seen, "renewals"
            )
            state.skipped += _count(seen, "skipped")
            state.failed_tests += _count(seen, "failed_tests")

    def outcomes(self) -> dict[str, dict[str, Any]]:
        """Per provider, the token or failure to share; logs in on the first call only."""
        shared = {}
        for name, state in self._states.items():
            outcome = _outcome(state)
            if outcome is not None:
                shared[name] = outcome
        return shared

    def note(self, name: str) -> str:
        """``, shared with 3 workers, renewed 1 time by workers`` for the provider's summary.

        The controller logs in before it knows which tests the workers run; a provider no
        test used says so, so that an unused login (or its failure) is not mistaken for use.
        """
        state = self._states[name]
        if not self.workers:
            return ""
        note = ""
        if state.peek() is not None and state.failure is None:
            count = len(self.workers)
            note = f", shared with {count} worker{'s' * (count != 1)}"
            renewals = self.worker_renewals.get(name, 0)
            if renewals:
                note += f", renewed {renewals} time{'s' * (renewals != 1)} by workers"
        if name not in self.used_by_workers:
            note += " (no test used it)"
        return note


def _count(seen: Mapping[str, Any], name: str) -> int:
    """A count a worker reported; anything but a whole number of zero or more is 0."""
    number = seen.get(name)
    return number if type(number) is int and number > 0 else 0


def _outcome(state: ProviderRun) -> dict[str, Any] | None:
    """The state's token or failure as plain data, or ``None`` to let workers decide.

    Workers decide alone when no credentials were found at all: a ``conftest.py`` that only
    workers load may still supply them. (A hook's skip or fail arrives as a failure.)
    """
    try:
        token = state.token()
    except MissingCredentials as missing:
        if missing is state.missing:
            return None
        return {"failure": encode_failure(missing, state.scrub)}
    except TmAuthError as failure:
        return {"failure": encode_failure(failure, state.scrub)}
    shared: dict[str, Any] = {"token": encode_token(token)}
    target = state.target
    if target is not None:  # a credentials hook may have decided it: workers did not ask it
        shared["target"] = encode_target(target)
    return shared


def adopt(config: pytest.Config, states: Mapping[str, ProviderRun]) -> None:
    """In a worker: seed each provider with the controller's token or failure."""
    shared = _shared(config).get("providers")
    if not isinstance(shared, dict):
        return
    for name, outcome in shared.items():
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


def shared_sandbox(config: pytest.Config) -> dict[str, str] | None:
    """In a worker of a ``--tm-auth-sandbox`` run: the controller's stand-in settings."""
    sandbox = _shared(config).get("sandbox")
    return dict(sandbox) if isinstance(sandbox, dict) and sandbox else None


def _shared(config: pytest.Config) -> dict[str, Any]:
    workerinput = getattr(config, "workerinput", None)
    shared = workerinput.get(KEY) if isinstance(workerinput, dict) else None
    return shared if isinstance(shared, dict) else {}


class WorkerReport:
    """A worker's side: tell the controller what its tests did with each provider."""

    def __init__(self, config: pytest.Config, states: Mapping[str, ProviderRun]) -> None:
        self._config = config
        self._states = states

    def pytest_sessionfinish(self) -> None:
        output = getattr(self._config, "workeroutput", None)
        if isinstance(output, dict):
            output[KEY] = {
                name: {
                    "used": state.used,
                    "renewals": state.renewals,
                    "skipped": state.skipped,
                    "failed_tests": state.failed_tests,
                }
                for name, state in self._states.items()
            }
