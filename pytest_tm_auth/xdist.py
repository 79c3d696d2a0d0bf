"""One login per run under pytest-xdist: the controller logs in, workers get its token.

The controller logs in (or recalls a remembered token) once per provider just before it
starts the first worker, and hands every worker plain data through ``workerinput``: the
token, or the failure each test should report without trying again. Nothing is written to
disk for this. Workers renew on their own when a shared token lapses or is refused, and
report their renewals back through ``workeroutput`` for the controller's summary.

This module never imports xdist: the controller's hooks live in :class:`SharedLogin`, which
the plugin registers only when xdist is active, and are marked optional besides.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import pytest

from pytest_tm_auth.errors import AuthError, ConfigError, MissingCredentials, TmAuthError
from pytest_tm_auth.provider import Target
from pytest_tm_auth.registry import ProviderState
from pytest_tm_auth.settings import Values
from pytest_tm_auth.token import Token

#: The key of this plugin's data in ``workerinput`` and ``workeroutput``.
KEY = "tm_auth"
SHARED = "shared from the controller"


class WorkerNode(Protocol):
    """What this module uses of xdist's ``WorkerController``."""

    workerinput: dict[str, Any]


class SharedLogin:
    """The controller's side: log in once, give each worker the outcome, count the workers."""

    def __init__(self, states: Mapping[str, ProviderState], values: Values) -> None:
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
        node.workerinput[KEY] = {"providers": self.outcomes(), "sandbox": self._sandbox()}
        self.workers.add(str(node.workerinput.get("workerid", len(self.workers))))

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any) -> None:
        """Add up which providers the worker's tests used and what it renewed itself."""
        output = getattr(node, "workeroutput", None)
        report = output.get(KEY) if isinstance(output, dict) else None
        if not isinstance(report, dict):
            return
        for name, seen in report.items():
            if not isinstance(seen, dict):
                continue
            if seen.get("used"):
                self.used_by_workers.add(name)
            renewals = seen.get("renewals")
            if isinstance(renewals, int) and renewals > 0:
                self.worker_renewals[name] = self.worker_renewals.get(name, 0) + renewals

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

    def _sandbox(self) -> dict[str, str]:
        """The controller's ``--tm-auth-sandbox`` settings, so workers use its stand-in."""
        return {
            name: str(item.value)
            for name, item in self._values.resolved.items()
            if item.source.kind == "sandbox" and item.value is not None
        }


def _outcome(state: ProviderState) -> dict[str, Any] | None:
    """The state's token or failure as plain data, or ``None`` to let workers decide.

    Workers decide alone when no credentials were found at all: a ``conftest.py`` that only
    workers load may still supply them. (A hook's skip or fail arrives as a failure.)
    """
    try:
        token = state.token()
    except MissingCredentials as missing:
        if missing is state.missing:
            return None
        return {"failure": {"kind": "missing", "message": state.scrub(str(missing))}}
    except AuthError as failure:
        return {"failure": _auth_failure(failure, state.scrub)}
    except ConfigError as failure:
        return {"failure": {"kind": "config", "message": state.scrub(str(failure))}}
    except TmAuthError as failure:
        return {"failure": {"kind": "error", "message": state.scrub(str(failure))}}
    shared: dict[str, Any] = {
        "token": {
            "value": str(token.value),
            "scheme": token.scheme,
            "expires_at": token.expires_at,
            "static": token.static,
        }
    }
    target = state.target
    if target is not None:  # a credentials hook may have decided it: workers did not ask it
        shared["target"] = [target.deployment, target.url, target.api_url, list(target.credentials)]
    return shared


def _auth_failure(failure: AuthError, scrub: Callable[[str], str]) -> dict[str, Any]:
    """The failure as plain data, scrubbed: workers may not know a hook's secrets."""
    return {
        "kind": "auth",
        "message": scrub(str(failure)),
        "provider": failure.provider,
        "url": scrub(failure.url),
        "problem": scrub(failure.problem),
        "fix": scrub(failure.fix),
        "status": failure.status,
    }


def adopt(config: pytest.Config, states: Mapping[str, ProviderState]) -> None:
    """In a worker: seed each provider with the controller's token or failure."""
    shared = _shared(config).get("providers")
    if not isinstance(shared, dict):
        return
    for name, outcome in shared.items():
        state = states.get(name)
        if state is None or not isinstance(outcome, dict):
            continue
        token = outcome.get("token")
        failure = outcome.get("failure")
        if isinstance(token, dict):
            target = outcome.get("target")
            if state.target is None and isinstance(target, list):
                deployment, url, api_url, credentials = target
                state.target = Target(deployment, url, api_url, tuple(credentials))
                state.missing = None
            shared_token = Token(
                name,
                token["value"],
                token["scheme"],
                token["expires_at"],
                bool(token.get("static")),
            )
            state.seed(shared_token, SHARED)
        elif isinstance(failure, dict):
            state.fail_with(_rebuilt(failure))


def _rebuilt(failure: Mapping[str, Any]) -> TmAuthError:
    """The controller's failure again, with the very same message."""
    kind, message = failure.get("kind"), str(failure.get("message", ""))
    error: TmAuthError
    if kind == "auth":
        error = AuthError(
            str(failure.get("provider", "")),
            str(failure.get("url", "")),
            str(failure.get("problem", "")),
            fix=str(failure.get("fix", "")),
            status=failure.get("status"),
        )
        error.args = (message,)  # a subclass may have worded it its own way
    elif kind == "missing":
        error = MissingCredentials(message)
    elif kind == "config":
        error = ConfigError(message)
    else:
        error = TmAuthError(message)
    return error


def shared_sandbox(config: pytest.Config) -> dict[str, str] | None:
    """In a worker of a ``--tm-auth-sandbox`` run: the controller's stand-in settings."""
    sandbox = _shared(config).get("sandbox")
    return dict(sandbox) if isinstance(sandbox, dict) and sandbox else None


def _shared(config: pytest.Config) -> dict[str, Any]:
    workerinput = getattr(config, "workerinput", None)
    shared = workerinput.get(KEY) if isinstance(workerinput, dict) else None
    return shared if isinstance(shared, dict) else {}


class WorkerReport:
    """A worker's side: tell the controller how often it renewed a shared token."""

    def __init__(self, config: pytest.Config, states: Mapping[str, ProviderState]) -> None:
        self._config = config
        self._states = states

    def pytest_sessionfinish(self) -> None:
        output = getattr(self._config, "workeroutput", None)
        if isinstance(output, dict):
            output[KEY] = {
                name: {"renewals": state.renewals, "used": state.used}
                for name, state in self._states.items()
            }
