"""The registrar of the run's optional modes, each a plugin object registered only when on.

Redaction (as soon as a secret is known), remembered tokens, xdist sharing, the check, the
stand-in, and the counter of tests a provider ended. The three small modes live here (the
counter, ``--tm-auth-remember`` and ``--tm-auth-sandbox``, whose heavy parts are imported
only in use); the others are imported only in use, each writing its own hooks;
``-p no:tm_auth_xdist`` turns sharing off.

This module is the only one that imports the wings (the check beside it, ``run/redaction/``
and ``run/xdist/``), always inside the function that needs one; no wing imports it back.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import pytest

from pytest_tm_auth.core.scrub import Scrubber
from pytest_tm_auth.core.values import Values
from pytest_tm_auth.run.plugin_base import (
    SANDBOX_SOURCE,
    HooksOnly,
    distributing,
    from_controller,
    raised_by,
)
from pytest_tm_auth.settings.run_wide import CHECK, REMEMBER, RESET

if TYPE_CHECKING:
    from pytest_tm_auth.core.ratelimit import Budgets
    from pytest_tm_auth.run.state import ProviderRun

XDIST_PLUGIN = "tm_auth_xdist"
REDACTION_PLUGIN = "tm_auth_redaction"
CHECK_PLUGIN = "tm_auth_check"
COUNTER_PLUGIN = "tm_auth_outcomes"


def redaction_starter(config: pytest.Config, scrubber: Scrubber) -> Callable[[], None]:
    """Register the output redaction once: as soon as a secret is known (tests can read
    the environment's), else when a provider is first used. Runs with no secret
    configured, where the plugin is merely installed, pay for no per-test hook.
    """
    lock = threading.Lock()
    started: list[bool] = []

    def start() -> None:
        with lock:
            manager = config.pluginmanager
            if started or manager.is_blocked(REDACTION_PLUGIN):
                return  # -p no:tm_auth_redaction turns it all off (the leak tests do)
            started.append(True)
            from pytest_tm_auth.run.redaction.reports import (
                IdRedaction,
                JunitRedaction,
                Redaction,
                scrub_made_reports,
            )

            redaction = Redaction(scrubber)
            redaction.watch_logs(config)
            redaction.watch_hung_tests(config)
            manager.register(redaction, REDACTION_PLUGIN)
            scrub_made_reports(config, scrubber)  # again once collected: see Redaction
            manager.register(IdRedaction(scrubber), REDACTION_PLUGIN + "_ids")
            if getattr(config.option, "xmlpath", None):
                manager.register(JunitRedaction(scrubber, config), REDACTION_PLUGIN + "_junit")
            if allure_writes(config):
                from pytest_tm_auth.run.redaction.allure import join_allure

                join_allure(config, scrubber)

    return start


def allure_writes(config: pytest.Config) -> bool:
    """allure-pytest is loaded and given ``--alluredir``: without one it writes no result."""
    return "allure_commons" in sys.modules and bool(
        getattr(config.option, "allure_report_dir", None)
    )


def outcome_counter(config: pytest.Config) -> Callable[[Mapping[str, ProviderRun]], None]:
    """Register, before a provider first ends a test, the plugin that counts such tests."""
    lock = threading.Lock()

    def start(states: Mapping[str, ProviderRun]) -> None:
        with lock:
            if not config.pluginmanager.has_plugin(COUNTER_PLUGIN):
                config.pluginmanager.register(OutcomeCounter(states), COUNTER_PLUGIN)

    return start


class OutcomeCounter(HooksOnly):
    """Counts, per provider, the tests its missing credentials or failure skipped or failed.

    Registered before a provider first ends a test (see :func:`outcome_counter`). It reads
    the outcome's exception, which names its provider: pytest replays a session fixture's
    skip or failure for every later test without calling the plugin again.
    """

    def __init__(self, states: Mapping[str, ProviderRun]) -> None:
        self._states = states

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, call: pytest.CallInfo[None]) -> None:
        found = raised_by(call.excinfo)
        if found is not None:
            name, skipped = found
            state = self._states.get(name)
            if state is not None:
                state.count(skipped=skipped)


#: A mode's words for a provider's summary line, e.g. ``, shared with 3 workers``.
SummaryNote = Callable[[str], str]


def wire(
    config: pytest.Config,
    values: Values,
    states: Mapping[str, ProviderRun],
    scrubber: Scrubber,
    budgets: Callable[[], Budgets] | None = None,
) -> list[SummaryNote]:
    """Remembered tokens, xdist sharing and ``--tm-auth-check``, each imported only in use;
    under xdist, the run's rate ``budgets`` are the controller's, which its broker holds.

    Returns what the modes add to each provider's summary line.
    """
    notes: list[SummaryNote] = []
    worker = hasattr(config, "workerinput")
    if worker:
        from pytest_tm_auth.run.xdist import sharing as xdist

        brokered = xdist.brokered(config)  # the controller's broker keeps the token memory
    else:
        brokered = False
    if (values.flag(REMEMBER.name) or values.flag(RESET.name)) and not brokered:
        attach_memory(config, values, states, reset=values.flag(RESET.name) and not worker)
    if worker:
        xdist.adopt(config, states, scrubber.add, budgets)
        alone = xdist.alone(config)
        report = xdist.WorkerReport(config, states, brokered=brokered, alone=alone)
        config.pluginmanager.register(report)
    elif distributing(config):
        from pytest_tm_auth.run.xdist import sharing as xdist

        sharing = xdist.SharedLogin(config, states, values, budgets)
        if config.pluginmanager.register(sharing, XDIST_PLUGIN) is not None:
            notes.append(sharing.note)
        config.pluginmanager.register(sharing.totals, XDIST_PLUGIN + "_totals")
        notes.append(sharing.totals.note)
    if values.flag(CHECK.name) and not worker:
        from pytest_tm_auth.run.modes.check import LoginCheck

        if hasattr(config.option, "dist"):
            config.option.dist = "no"  # before xdist's trylast configure: no workers to start
        config.pluginmanager.register(LoginCheck(states, scrubber), CHECK_PLUGIN)
    return notes


def attach_memory(
    config: pytest.Config, values: Values, states: Mapping[str, ProviderRun], *, reset: bool
) -> None:
    """``--tm-auth-remember`` and ``--tm-auth-reset``: give every provider's login the run's
    token memory; forget first under a reset."""
    from pytest_tm_auth.core.accounts import store_key
    from pytest_tm_auth.store.memory import TokenMemory

    remember = values.flag(REMEMBER.name)

    def warn(text: str) -> None:
        from pytest_tm_auth.run.preflight import ini_folder
        from pytest_tm_auth.run.warnings import TokenStoreWarning, issue_at, setting_place

        setting = REMEMBER.name if remember else RESET.name
        place = setting_place(values, setting, ini_folder(config))
        issue_at(config, TokenStoreWarning(f"tm-auth: {text}"), place)

    # --tm-auth-check tries the credentials: it logs in even when a token is remembered.
    reuse = remember and not reset and not values.flag(CHECK.name)
    memory = TokenMemory(warn, reuse=reuse, remember=remember)
    if reset:
        memory.forget(
            store_key(state.provider, state.target, state.values)
            for state in states.values()
            if state.target is not None
        )
    for state in states.values():
        state.login.environment.memory = memory


def with_sandbox(config: pytest.Config, values: Values) -> Values:
    """``values`` pointed at a stand-in, as ``--tm-auth-sandbox`` asks.

    An xdist worker uses the controller's stand-in, and so its tokens. Only the settings
    this run declares are taken: a recipe's service may serve a provider it does not add.
    """
    if hasattr(config, "workerinput"):
        shared = from_controller(config).get("sandbox")
        if isinstance(shared, dict) and shared:
            return values.overridden(dict(shared), *SANDBOX_SOURCE)

    from pytest_tm_auth.sandbox import Sandbox

    sandbox = Sandbox().start()
    config.add_cleanup(sandbox.stop)
    config.hook.pytest_tm_auth_sandbox(sandbox=sandbox)
    declared = {name: text for name, text in sandbox.settings("cloud").items() if name in values}
    return values.overridden(declared, *SANDBOX_SOURCE)


def scrub_early_failure(error: BaseException, scrubber: Scrubber) -> None:
    """A failure pytest prints before any report exists (a ``conftest.py`` that fails to load)."""
    from pytest_tm_auth.run.redaction.scrubbed import scrub_exception

    scrub_exception(error, scrubber.scrub)
