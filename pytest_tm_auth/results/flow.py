"""Publishing a journal's results to a service exactly once: the flow, whatever the service.

The flow knows a service through its adapter only (:mod:`.services`: settings, payload,
client). Each step is journaled (synced to disk) before the request it announces:
``creating`` with the run's label before a target (Test Execution, cycle, run) is created,
``target`` with its key before any result is sent to it (the user's own target too, so that
a replay after a kill during the first request looks before it sends; for a target made
with every result in one request, as soon as it exists), ``sent`` for each item a client
lands one request at a time, then ``landed`` or ``failed`` (a service's unexpected error
too, said in one line as certain). So a second attempt (the run's own replay,
``pytest-tm-auth publish JOURNAL``) goes to the key a first one made, sends only what did
not land, and a creation whose answer was lost is looked for by its label, never made
again blindly. A request whose answer was lost is an outcome unknown: said as such, the
journal kept, and the replay looks before it sends again (Xray's import replaces the runs
it names, so it is sent again as is).
"""

from __future__ import annotations

import contextlib
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from pytest_tm_auth.core.errors import TmAuthError, inert
from pytest_tm_auth.results.journal import Journal, JournalState, ServiceProgress
from pytest_tm_auth.results.model import (
    Landing,
    Ledger,
    Made,
    PublishError,
    Result,
    ResultsLanded,
    ServiceClient,
)
from pytest_tm_auth.results.services import Adapter, adapter
from pytest_tm_auth.run.warnings import TmAuthWarning

#: A run's label (``tm-auth-<run>``): it goes into a search, so nothing else is used.
LABEL = re.compile(r"[A-Za-z0-9_.-]{1,100}")
#: Lines of what was dropped shown in the summary; the rest are counted.
DROPS_SHOWN = 20
#: What each service publishes into when no key is given.
NEW_TARGETS = {"xray": "a new Test Execution", "zephyr": "a new test cycle"}
#: What a service's target is called, in a failure's words.
TARGETS = {"xray": "the Test Execution", "zephyr": "the test cycle"}
#: The settings that name a target: never given anew over the journal's.
TARGET_SETTINGS = ("test_execution", "test_cycle")
#: How a failure's line ends: where the results are, and the command that lands them.
REPLAY = "journal kept: {path}; to publish it: pytest-tm-auth publish {path}"


class PublishedHookWarning(TmAuthWarning):
    """The results landed, but the team's ``pytest_tm_auth_published`` hook raised."""


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
    #: The results landed there, only what follows them (files) did not.
    landed_in: str = ""
    #: What the caps dropped from the payload.
    dropped: list[str] = field(default_factory=list)
    #: What else the summary says of this service, one line each, all of them.
    remarks: list[str] = field(default_factory=list)
    #: A warning of this service's that the run's filters (``-W error``) made an error:
    #: said in :attr:`remarks` instead, and the run's exit status is 1.
    warned: bool = False

    @property
    def failed(self) -> bool:
        return bool(self.reason)

    def notes(self) -> list[str]:
        """What was cut or dropped from the results, one line each (the first few), then
        the remarks."""
        shown = [f"{self.service}: {note}" for note in self.dropped[:DROPS_SHOWN]]
        more = len(self.dropped) - DROPS_SHOWN
        shown += [f"{self.service}: and {more} more dropped"] if more > 0 else []
        return shown + [f"{self.service}: {remark}" for remark in self.remarks]

    def line(self) -> str:
        """The summary's one line for this service."""
        name = self.service
        if self.failed:
            head = "outcome unknown" if self.ambiguous else "results not published"
            if self.landed_in:
                head = f"results landed in {self.landed_in}" + (
                    "; outcome unknown" if self.ambiguous else ""
                )
            tail = REPLAY.format(path=self.journal) if self.journal else "no journal"
            return f"{name}: {head}: {self.reason}; {tail}"
        if self.count == 0:
            return f"{name}: no linked test was selected: nothing to publish"
        if self.dry_run:
            where = self.dry_key or NEW_TARGETS.get(name, "a new target")
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
        outcome.landed_in = error.key if isinstance(error, ResultsLanded) else ""
    except TmAuthError as error:  # a login that failed, a journal that cannot be written
        outcome.reason = publishing.scrub(str(error))
    except publishing.stops as error:
        outcome.reason = publishing.scrub(
            str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        )
    except Exception as error:  # an adapter's own defect: said in one line, never a traceback
        said = inert(publishing.scrub(f"{type(error).__name__}: {error}"), 300)
        outcome.reason = f"publishing stopped on an unexpected {said} (nothing more was sent)"
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
    chosen = adapter(service)
    settings = chosen.settings(_overridden(state.header, service, publishing.overrides))
    journaled = progress.target or {}
    known = settings.existing or _target_key(journaled)
    build = _builder(_Job(chosen, results, state, settings, publishing, outcome))
    if publishing.dry_run:
        outcome.dry_key = known
        build(known)
        return
    started = time.monotonic()
    client = publishing.client()
    if known is None:
        made = _target(journal, state, client, chosen, settings, build=build)
    else:
        filled = known == _target_key(journaled) and journaled.get("filled") is True
        made = Made(known, url=str(journaled.get("url") or ""), filled=filled)
    payload = build(made.key)
    if not journaled and known is not None:  # a replay after a kill looks before it sends
        journal.step("target", service, key=known, url=made.url, filled=False)
    count = client.send(payload, made.key, _ledger(journal, progress, state, service, made))
    url = made.url or client.browse(made.key)
    journal.step("landed", service, key=made.key, count=count, at=time.time(), url=url)
    landing = Landing(service, made.key, url, count, time.monotonic() - started)
    outcome.landing = landing
    _tell_landed(publishing, landing, outcome)


class _Job(NamedTuple):
    """One service's publishing of one journal: what building its payload reads."""

    chosen: Adapter
    results: list[Result]
    state: JournalState
    settings: Any
    publishing: Publishing
    outcome: Outcome


def _builder(job: _Job) -> Callable[[str | None], dict[str, Any]]:
    """The payload for a key, built (through the team's hook) once: a service whose new
    target is made with the results asks for it before the key exists."""
    built: dict[str, Any] = {}

    def build(key: str | None) -> dict[str, Any]:
        if "payload" not in built:
            built["payload"] = _payload(job, key)
        payload: dict[str, Any] = built["payload"]
        return payload

    return build


def _ledger(
    journal: Journal, progress: ServiceProgress, state: JournalState, service: str, made: Made
) -> Ledger:
    """What landed item by item so far; each item that lands now is journaled at once."""
    done = dict(progress.sent)

    def note(item: str, given: str) -> None:
        journal.step("sent", service, item=item, id=given)
        done[item] = given

    unsure = bool(progress.failures or progress.sent or progress.target)
    label = str(state.header.get("label") or "")
    return Ledger(label, done, unsure, note, filled=made.filled)


def _tell_landed(publishing: Publishing, landing: Landing, outcome: Outcome) -> None:
    """The team's hook, told where the results landed: what it raises is said in one
    warning, and changes nothing of the outcome (the results are in, and journaled so).
    Where the run's filters make that warning an error (``-W error``), it is said in the
    outcome's remarks instead, and the outcome stays landed."""
    caught: tuple[type[BaseException], ...] = (Exception, *publishing.stops)
    try:
        publishing.on_landed(landing)
    except caught as error:
        said = inert(publishing.scrub(f"{type(error).__name__}: {error}"), 300)
        try:
            warnings.warn(
                PublishedHookWarning(
                    f"{landing.service}: the results landed in {landing.key}, "
                    f"then the pytest_tm_auth_published hook raised {said}"
                ),
                stacklevel=1,
            )
        except PublishedHookWarning:
            outcome.warned = True
            outcome.remarks.append(
                f"the results landed, then the pytest_tm_auth_published hook raised {said}; "
                "-W error made this PublishedHookWarning an error: exit status 1"
            )


def _overridden(header: dict[str, Any], service: str, given: dict[str, Any]) -> dict[str, Any]:
    """The header with ``service``'s settings given anew (the target key never)."""
    if not given:
        return header
    services = header.get("services")
    services = services if isinstance(services, dict) else {}
    own = services.get(service)
    kept = {name: value for name, value in given.items() if name not in TARGET_SETTINGS}
    changed = {**(own if isinstance(own, dict) else {}), **kept}
    return {**header, "services": {**services, service: changed}}


def _target_key(target: dict[str, Any] | None) -> str | None:
    key = (target or {}).get("key")
    return key if isinstance(key, str) and key else None


def _target(
    journal: Journal,
    state: JournalState,
    client: ServiceClient,
    chosen: Adapter,
    settings: Any,
    *,
    build: Callable[[str | None], dict[str, Any]],
) -> Made:
    """The run's target: the one found by the run's label (an earlier creation, its answer
    lost, or another process's), else a new one, journaled before anything is sent to it
    (or, made with the results, as soon as it exists). A creation that may have happened
    and is not found yet makes none."""
    service = client.service
    progress = state.progress(service)
    what = TARGETS.get(service, "the target")
    label = state.header.get("label")
    if not isinstance(label, str) or not LABEL.fullmatch(label):
        short = what.split()[-1].lower()  # the execution, the cycle
        raise PublishError(f"the journal's header has no label to create the {short} with")
    payload = build(None) if chosen.fills else {}
    found = client.find(label, settings, payload)
    if found is None:
        if progress.creating and not progress.creation_refused:
            raise PublishError(
                f"an earlier creation of {what} labelled {label} may have "
                "happened, and the search finds none yet (Jira's search may lag): nothing "
                "was created; replay in a minute",
                ambiguous=True,
            )
        journal.step("creating", service, label=label)
        found = client.create(label, settings, chosen.title(settings, state.header), payload)
    url = found.url or client.browse(found.key)
    journal.step("target", service, key=found.key, id=found.id, url=url, filled=found.filled)
    return Made(found.key, found.id, url, found.filled)


def _payload(job: _Job, key: str | None) -> dict[str, Any]:
    """The payload, through the team's hook, scrubbed and checked again after it."""
    publishing, results, outcome = job.publishing, job.results, job.outcome
    deployment = publishing.deployment()
    payload, capped = job.chosen.payload(results, job.state.header, job.settings, deployment, key)
    collected = (f"{result.nodeid}: {note}" for result in results for note in result.dropped)
    outcome.dropped = [*dict.fromkeys(collected), *capped]
    built = dict(payload)  # what the hook may not change: read again after it
    count = job.chosen.result_count(payload)
    try:
        publishing.on_payload(payload)
    except Exception as error:  # a team's hook: nothing is sent, and the run says why
        said = publishing.scrub(f"{type(error).__name__}: {error}")
        raise PublishError(f"the pytest_tm_auth_results hook raised {inert(said, 300)}") from None
    label = str(job.state.header.get("label") or "")
    checked = job.chosen.rechecked(
        payload, key, publishing.scrub, publishing.pieces, label=label, built=built
    )
    removed = count - job.chosen.result_count(checked)
    if removed > 0:  # the team's choice, said: a replay does not send them either
        were = "was" if removed == 1 else "were"
        outcome.remarks.append(
            f"{_results(removed)} removed by the pytest_tm_auth_results hook {were} not sent"
        )
    return checked
