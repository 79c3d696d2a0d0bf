"""Publishing at the end of a run: the plugin object that runs the one flow (:mod:`.flow`)
for each service whose publishing is on, once, in the controller (or the only process),
and says how in the summary and the exit status.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import pytest

from pytest_tm_auth.core.errors import TmAuthError
from pytest_tm_auth.results.flow import Outcome, Publishing, publish
from pytest_tm_auth.results.journal import Journal, JournalState
from pytest_tm_auth.results.model import ServiceClient
from pytest_tm_auth.results.services import adapter
from pytest_tm_auth.run.warnings import TmAuthWarning

__all__ = [
    "CHECK_MODE",
    "PUBLISH_PLUGIN",
    "Outcome",
    "PublishFailureWarning",
    "PublishPlugin",
    "Publishing",
    "ServiceClient",
    "deployment",
    "publish",
]

#: The name the publishing plugin is registered under.
PUBLISH_PLUGIN = "tm_auth_publish"
#: The plugin ``--tm-auth-check`` registers (``run/modes``): no test runs under it.
CHECK_MODE = "tm_auth_check"
#: Why an interrupted run (Ctrl-C) sends nothing: the journal holds every finished test.
INTERRUPTED = "the run was interrupted: nothing was sent"


class PublishFailureWarning(TmAuthWarning):
    """Results did not land, and ``--tm-auth-on-publish-failure=warn`` keeps the run green."""


class Collector(Protocol):
    """What the run's collector (registered as ``tm_auth_results``) tells publishing."""

    @property
    def journal_path(self) -> Path | None:
        """The journal, or ``None`` when no linked test was reported (nothing to publish)."""

    @property
    def services(self) -> tuple[str, ...]:
        """The services whose publishing is on, e.g. ``("xray",)``."""

    @property
    def dry_run(self) -> bool: ...

    @property
    def unjournaled(self) -> list[str]:
        """Tests the journal holds no result of, and why (a worker that crashed in setup)."""

    def written(self) -> tuple[Journal, JournalState] | None:
        """The run's journal, still open, and what the run wrote to it."""

    def close(self) -> None: ...


class PublishPlugin:
    """At the end of a run (in the controller, or the only process), publishes each
    service's results once; the summary says how, in one line per service; results that did
    not land make the exit status 1 (or a warning, with ``--tm-auth-on-publish-failure=warn``).
    """

    def __init__(self, config: Any, collector: Collector, setup: Callable[[], Any]) -> None:
        self._config = config
        self._collector = collector
        #: The run, set up (its providers' states: ``run.states["xray"]``).
        self._setup = setup
        self.outcomes: list[Outcome] = []

    def pytest_sessionfinish(self, session: Any) -> None:
        if hasattr(self._config, "workerinput"):
            return  # a worker: the controller publishes what every worker reported
        if self._config.pluginmanager.has_plugin(CHECK_MODE):
            return  # --tm-auth-check runs no test: there is nothing to publish
        collector = self._collector
        path = collector.journal_path
        written = collector.written()  # what this run journaled: not read back
        interrupted = session.exitstatus == pytest.ExitCode.INTERRUPTED
        try:
            for service in collector.services:
                outcome = Outcome(service, path, dry_run=collector.dry_run)
                if path is not None and interrupted:
                    outcome.reason = INTERRUPTED  # a partial run is sent only when asked
                elif path is not None:
                    try:
                        publishing = self._publishing(service, collector.dry_run)
                        outcome = publish(path, publishing, written)
                    except (TmAuthError, pytest.UsageError) as error:  # a refused setting
                        outcome.reason = str(error)
                outcome.dropped += collector.unjournaled
                self.outcomes.append(outcome)
        finally:
            collector.close()
        if interrupted:
            return  # the run says why it stopped; its exit status stays pytest's
        # Warned only now, every outcome recorded: a warning the run's filters make an error
        # is said in the summary and makes the exit status 1, never a traceback.
        failed = [outcome for outcome in self.outcomes if outcome.failed]
        erred = any(outcome.warned for outcome in self.outcomes)
        if failed and self._on_failure() == "warn":
            erred = any([_warned(outcome) for outcome in failed]) or erred
        elif failed:
            erred = True
        if erred and session.exitstatus == 0:
            session.exitstatus = 1

    def _on_failure(self) -> str:
        """``fail`` (the default) or ``warn``: what results that did not land make of the run."""
        try:
            run = self._setup()
        except (TmAuthError, pytest.UsageError):  # a setting the run refused: said already
            return "fail"
        states = list(run.states.values())
        chosen = states[0].values.text("tm_auth_on_publish_failure") if states else None
        return chosen or "fail"

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.outcomes:
            terminalreporter.write_sep("-", "tm-auth results")
        for outcome in self.outcomes:
            red = outcome.failed
            noted = bool(outcome.dropped or outcome.remarks)
            terminalreporter.write_line(outcome.line(), red=red, yellow=noted)
            for note in outcome.notes():
                terminalreporter.write_line(note, yellow=True)

    def _publishing(self, service: str, dry_run: bool) -> Publishing:
        run = self._setup()
        state = run.states[service]
        hook = self._config.hook

        def client() -> ServiceClient:
            # Only when sending: a dry run imports neither requests nor urllib3.
            session = state.session()  # logs in (once per run) or raises its failure
            target = state.target
            assert target is not None  # a session exists only for a configured provider
            return adapter(service).client(session, target, state.values.text("jira_url"))

        return Publishing(
            service,
            client,
            lambda: deployment(state, service),
            run.scrubber.scrub,
            on_payload=lambda payload: hook.pytest_tm_auth_results(
                provider=state.provider, results=payload
            ),
            on_landed=lambda landing: hook.pytest_tm_auth_published(
                provider=state.provider, target=landing, session=state.session()
            ),
            dry_run=dry_run,
            stops=(pytest.fail.Exception, pytest.skip.Exception),
            pieces=functools.partial(run.scrubber.scrub, pieces=True),
        )


def _warned(outcome: Outcome) -> bool:
    """Say the outcome's failure in a :class:`PublishFailureWarning`; ``True`` when the
    run's filters (``-W error``) made it an error, said then in the outcome's remarks."""
    try:
        warnings.warn(PublishFailureWarning(outcome.line()), stacklevel=1)
    except PublishFailureWarning:
        outcome.remarks.append("-W error made this PublishFailureWarning an error: exit status 1")
        return True
    return False


def deployment(state: Any, service: str = "xray") -> str:
    """Cloud or Data Center, without logging in: the target the settings lead to, else the
    service's ``*_deployment`` setting, else Cloud (a dry run may have no credentials)."""
    target = state.target
    if target is not None:
        return str(target.deployment)
    chosen = state.values.text(f"{service}_deployment")
    return chosen if chosen in ("cloud", "datacenter") else "cloud"
