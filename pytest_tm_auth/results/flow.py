"""Publishing a journal's results to a service exactly once: the flow, whatever the service.

Each step is journaled (synced to disk) before the request it announces: ``creating`` with
the run's label before a Test Execution is created, ``target`` with its key before any
result is sent, then ``landed`` or ``failed``. So a second attempt (the run's own replay,
``pytest-tm-auth publish JOURNAL``) imports into the key a first one made, and a creation
whose answer was lost is looked for by its label, never made again blindly. An import
whose answer was lost is an outcome unknown: said as such, the journal kept, and a replay
imports the same results into the same key again (an import replaces the runs it names).
"""

from __future__ import annotations

import contextlib
import functools
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest

from pytest_tm_auth.core.errors import TmAuthError
from pytest_tm_auth.core.text import inert
from pytest_tm_auth.results.journal import Journal, JournalState
from pytest_tm_auth.results.model import Landing, Result
from pytest_tm_auth.results.xray_payload import (
    PublishError,
    XraySettings,
    build_payload,
    default_summary,
    rechecked,
)
from pytest_tm_auth.run.warnings import TmAuthWarning

#: A run's label (``tm-auth-<run>``): it goes into a search, so nothing else is used.
LABEL = re.compile(r"[A-Za-z0-9_.-]{1,100}")
#: Lines of what was dropped shown in the summary; the rest are counted.
DROPS_SHOWN = 20
#: The name the publishing plugin is registered under.
PUBLISH_PLUGIN = "tm_auth_publish"
#: The plugin ``--tm-auth-check`` registers (``run/modes``): no test runs under it.
CHECK_MODE = "tm_auth_check"
#: How a failure's line ends: where the results are, and the command that lands them.
REPLAY = "journal kept: {path}; to publish it: pytest-tm-auth publish {path}"


class PublishFailureWarning(TmAuthWarning):
    """Results did not land, and ``--tm-auth-on-publish-failure=warn`` keeps the run green."""


class PublishedHookWarning(TmAuthWarning):
    """The results landed, but the team's ``pytest_tm_auth_published`` hook raised."""


class ServiceClient(Protocol):
    """A service's publishing requests (:class:`~.xray_client.XrayClient`)."""

    service: str
    deployment: str

    def browse(self, key: str) -> str: ...

    def find(self, label: str) -> tuple[str, str] | None: ...

    def create(self, label: str, settings: XraySettings, summary: str) -> tuple[str, str]: ...

    def send(self, payload: dict[str, Any], key: str) -> int: ...


@dataclass
class Outcome:
    """What publishing one service's results came to, as its summary line says."""

    service: str
    journal: Path | None
    landing: Landing | None = None
    #: Results found for the service (0: no linked test was selected).
    count: int = 0
    #: Why the results did not land (empty when they did, or nothing was to be sent).
    reason: str = ""
    #: The last request may have taken effect: its outcome is unknown.
    ambiguous: bool = False
    #: Landed by an earlier attempt: nothing was sent this time.
    already: bool = False
    #: A dry run: built and checked, nothing sent; the key it would go to, if known.
    dry_run: bool = False
    dry_key: str | None = None
    #: What the caps dropped from the payload.
    dropped: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.reason)

    def notes(self) -> list[str]:
        """What was cut or dropped from the results, one line each (the first few)."""
        shown = [f"{self.service}: {note}" for note in self.dropped[:DROPS_SHOWN]]
        more = len(self.dropped) - DROPS_SHOWN
        return shown + ([f"{self.service}: and {more} more dropped"] if more > 0 else [])

    def line(self) -> str:
        """The summary's one line for this service."""
        name = self.service
        if self.failed:
            head = "outcome unknown" if self.ambiguous else "results not published"
            tail = REPLAY.format(path=self.journal) if self.journal else "no journal"
            return f"{name}: {head}: {self.reason}; {tail}"
        if self.count == 0:
            return f"{name}: no linked test was selected: nothing to publish"
        if self.dry_run:
            where = self.dry_key or "a new Test Execution"
            built = f"{_results(self.count)} for {where} built and checked"
            return f"{name}: dry run: {built}; nothing sent"
        landing = self.landing
        assert landing is not None
        url = f" ({landing.url})" if landing.url else ""
        if self.already:
            return f"{name}: already published to {landing.key}{url}: nothing sent again"
        return (
            f"{name}: published {_results(landing.count)} to {landing.key}{url} "
            f"in {landing.seconds:.1f} s"
        )


def _results(count: int) -> str:
    return f"{count} result{'s' if count != 1 else ''}"


@dataclass
class Publishing:
    """What one publishing needs besides the journal: the service's requests (made on first
    use: a dry run logs in to nothing), the team's hooks, the run's scrubber."""

    service: str
    client: Callable[[], ServiceClient]
    deployment: Callable[[], str]
    scrub: Callable[[str], str]
    #: ``pytest_tm_auth_results``: changes the payload in place.
    on_payload: Callable[[dict[str, Any]], None] = lambda payload: None
    #: ``pytest_tm_auth_published``: told where the results landed.
    on_landed: Callable[[Landing], None] = lambda landing: None
    dry_run: bool = False
    #: Exceptions that end a request as a failure besides :class:`TmAuthError`: pytest's
    #: outcome raised when the run's session cannot renew its token.
    stops: tuple[type[BaseException], ...] = ()
    #: The scrubber that also hides a secret's cut-off pieces: for comments and file names.
    pieces: Callable[[str], str] | None = None
    #: Settings given anew over the journal header's (``project``, ``statuses``...; the
    #: command's options): never the Test Execution.
    overrides: dict[str, Any] = field(default_factory=dict)


def publish(
    path: Path, publishing: Publishing, written: tuple[Journal, JournalState] | None = None
) -> Outcome:
    """Publish what the journal at ``path`` holds for one service; never raises a
    :class:`TmAuthError`: the outcome says what happened, in one line.

    ``written``: the run's own journal, still open (and locked), and what the run wrote to
    it; it is then not read back (the caller closes it). Otherwise the journal is opened,
    locked and read (for a dry run, never written)."""
    outcome = Outcome(publishing.service, path, dry_run=publishing.dry_run)
    try:
        journal, state = written or Journal.reopen(path, write=not publishing.dry_run)
    except TmAuthError as error:
        outcome.reason = str(error)
        return outcome
    try:
        _publish(journal, state, publishing, outcome)
    except PublishError as error:
        outcome.reason, outcome.ambiguous = publishing.scrub(str(error)), error.ambiguous
    except TmAuthError as error:  # a login that failed, a journal that cannot be written
        outcome.reason = publishing.scrub(str(error))
    except publishing.stops as error:
        outcome.reason = publishing.scrub(
            str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        )
    finally:
        if outcome.failed and not publishing.dry_run:
            _note_failure(journal, outcome)
        if written is None:
            journal.close()
    return outcome


def _note_failure(journal: Journal, outcome: Outcome) -> None:
    with contextlib.suppress(TmAuthError):  # the failure is said in the summary all the same
        journal.step("failed", outcome.service, reason=outcome.reason, ambiguous=outcome.ambiguous)


def _publish(
    journal: Journal, state: JournalState, publishing: Publishing, outcome: Outcome
) -> None:
    service = publishing.service
    results = [result for result in state.results if result.links.get(service)]
    outcome.count = len(results)
    if not results:
        return
    progress = state.progress(service)
    if progress.landed and not publishing.dry_run:
        landed = progress.landed
        key = str(landed.get("key"))
        url = str(landed.get("url") or "")
        count = landed.get("count")
        outcome.landing = Landing(service, key, url, count if isinstance(count, int) else 0, 0.0)
        outcome.already = True
        return
    settings = XraySettings.from_header(_overridden(state.header, service, publishing.overrides))
    known = settings.test_execution or _target_key(progress.target)
    if publishing.dry_run:
        outcome.dry_key = known
        _payload(results, state, settings, publishing, outcome, key=known)
        return
    started = time.monotonic()
    client = publishing.client()
    key = known or _target(journal, state, settings, client)
    payload = _payload(results, state, settings, publishing, outcome, key=key)
    count = client.send(payload, key)
    url = client.browse(key)
    journal.step("landed", service, key=key, count=count, at=time.time(), url=url)
    landing = Landing(service, key, url, count, time.monotonic() - started)
    outcome.landing = landing
    _tell_landed(publishing, landing)


def _tell_landed(publishing: Publishing, landing: Landing) -> None:
    """The team's hook, told where the results landed: what it raises is said in one
    warning, and changes nothing of the outcome (the results are in, and journaled so)."""
    caught: tuple[type[BaseException], ...] = (Exception, *publishing.stops)
    try:
        publishing.on_landed(landing)
    except caught as error:
        said = inert(publishing.scrub(f"{type(error).__name__}: {error}"), 300)
        warnings.warn(
            PublishedHookWarning(
                f"{landing.service}: the results landed in {landing.key}, "
                f"then the pytest_tm_auth_published hook raised {said}"
            ),
            stacklevel=1,
        )


def _overridden(header: dict[str, Any], service: str, given: dict[str, Any]) -> dict[str, Any]:
    """The header with ``service``'s settings given anew (the target key never)."""
    if not given:
        return header
    services = header.get("services")
    services = services if isinstance(services, dict) else {}
    own = services.get(service)
    kept = {name: value for name, value in given.items() if name != "test_execution"}
    changed = {**(own if isinstance(own, dict) else {}), **kept}
    return {**header, "services": {**services, service: changed}}


def _target_key(target: dict[str, Any] | None) -> str | None:
    key = (target or {}).get("key")
    return key if isinstance(key, str) and key else None


def _target(
    journal: Journal, state: JournalState, settings: XraySettings, client: ServiceClient
) -> str:
    """The run's Test Execution: the one found by the run's label (an earlier creation,
    its answer lost, or another process's), else a new one, journaled before anything is
    sent to it. A creation that may have happened and is not found yet makes none."""
    service = client.service
    progress = state.progress(service)
    label = state.header.get("label")
    if not isinstance(label, str) or not LABEL.fullmatch(label):
        raise PublishError("the journal's header has no label to create the execution with")
    found = client.find(label)
    if found is None:
        if progress.creating and not progress.creation_refused:
            raise PublishError(
                f"an earlier creation of the Test Execution labelled {label} may have "
                "happened, and the search finds none yet (Jira's search may lag): nothing "
                "was created; replay in a minute",
                ambiguous=True,
            )
        journal.step("creating", service, label=label)
        found = client.create(label, settings, settings.summary or default_summary(state.header))
    key, issue_id = found
    journal.step("target", service, key=key, id=issue_id, url=client.browse(key))
    return key


def _payload(
    results: list[Result],
    state: JournalState,
    settings: XraySettings,
    publishing: Publishing,
    outcome: Outcome,
    *,
    key: str | None,
) -> dict[str, Any]:
    """The payload, through the team's hook, scrubbed and checked again after it."""
    deployment = publishing.deployment()
    payload, capped = build_payload(results, state.header, settings, deployment, key)
    collected = (f"{result.nodeid}: {note}" for result in results for note in result.dropped)
    outcome.dropped = [*dict.fromkeys(collected), *capped]
    try:
        publishing.on_payload(payload)
    except Exception as error:  # a team's hook: nothing is sent, and the run says why
        said = publishing.scrub(f"{type(error).__name__}: {error}")
        raise PublishError(f"the pytest_tm_auth_results hook raised {inert(said, 300)}") from None
    return rechecked(payload, key, publishing.scrub, publishing.pieces)


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
        try:
            for service in collector.services:
                outcome = Outcome(service, path, dry_run=collector.dry_run)
                if path is not None:
                    try:
                        publishing = self._publishing(service, collector.dry_run)
                        outcome = publish(path, publishing, written)
                    except (TmAuthError, pytest.UsageError) as error:  # a refused setting
                        outcome.reason = str(error)
                self.outcomes.append(outcome)
        finally:
            collector.close()
        failed = [outcome for outcome in self.outcomes if outcome.failed]
        if failed and self._on_failure() == "warn":
            for outcome in failed:
                warnings.warn(PublishFailureWarning(outcome.line()), stacklevel=1)
        elif failed and session.exitstatus == 0:
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
            terminalreporter.write_line(outcome.line(), red=red, yellow=bool(outcome.dropped))
            for note in outcome.notes():
                terminalreporter.write_line(note, yellow=True)

    def _publishing(self, service: str, dry_run: bool) -> Publishing:
        run = self._setup()
        state = run.states[service]
        hook = self._config.hook

        def client() -> ServiceClient:
            # Only when sending: a dry run imports neither requests nor urllib3.
            from pytest_tm_auth.results.xray_client import XrayClient

            session = state.session()  # logs in (once per run) or raises its failure
            target = state.target
            assert target is not None  # a session exists only for a configured provider
            return XrayClient(session, target, state.values.text("jira_url"))

        return Publishing(
            service,
            client,
            lambda: deployment(state),
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


def deployment(state: Any) -> str:
    """Cloud or Data Center, without logging in: the target the settings lead to, else the
    ``xray_deployment`` setting, else Cloud (a dry run may have no credentials)."""
    target = state.target
    if target is not None:
        return str(target.deployment)
    chosen = state.values.text("xray_deployment")
    return chosen if chosen in ("cloud", "datacenter") else "cloud"
