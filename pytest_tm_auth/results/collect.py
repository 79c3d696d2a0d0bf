"""Collecting a run's results where pytest reports them, into the journal.

Registered only when publishing (or a dry run) is on. In the process that runs a test, the
first ``pytest_runtest_logreport`` puts plain data on the reports of linked tests only
(their links, then at teardown the iteration, its parameters and what ``tm_result`` added),
before xdist's own sends the report to the controller: the data goes with it. Where reports
are logged (the controller, or the only process), their phases are folded per test
(:mod:`.fold`) and each ended test becomes one :class:`~.model.Result`, scrubbed and
appended to the journal at once.

A test without an ``xray`` marker costs one dictionary lookup and one attribute read per
report (not a hook wrapper around each report's making, which costs more for every test).
"""

from __future__ import annotations

import functools
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Generator, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from pytest_tm_auth.core.errors import ConfigError
from pytest_tm_auth.core.token import file_stamp
from pytest_tm_auth.core.values import Values
from pytest_tm_auth.results.fold import CRASHED, LINKS, Attempt, Folds, Unfinished
from pytest_tm_auth.results.journal import Journal, JournalError, JournalState
from pytest_tm_auth.results.links import Inherited, LinkError, is_link_error, links_of
from pytest_tm_auth.results.model import (
    COMMENT_LIMIT,
    EVIDENCE_BYTES_PER_RUN,
    EVIDENCE_BYTES_PER_TEST,
    PARAMETER_LIMIT,
    PARAMETERS_PER_ITERATION,
    Evidence,
    Result,
    bounded,
    status_table,
)
from pytest_tm_auth.results.notes import NOTES
from pytest_tm_auth.run.plugin_base import POSTED, POSTER, HooksOnly, distributing
from pytest_tm_auth.settings.run_wide import (
    ATTACH_OUTPUT,
    DRY_RUN,
    JOURNAL,
    PUBLISH_SWITCHES,
    SERVICE_SETTINGS,
    XRAY_STATUSES,
)

#: The name the collector is registered under: publishing finds it with ``get_plugin``.
PLUGIN_NAME = "tm_auth_results"
#: The journal's header names each service's settings by these (``xray_`` dropped).
HEADER_NAMES = {"test_environments": "environments"}


def iteration_of(item: pytest.Item, scrub: Callable[[str], str]) -> tuple[str | None, list[Any]]:
    """The parametrized variant's id and its parameters (scrubbed, bounded reprs)."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return None, []
    params = list(callspec.params.items())[:PARAMETERS_PER_ITERATION]
    pairs = [[name, bounded(scrub(_safe_repr(value)), PARAMETER_LIMIT)] for name, value in params]
    return scrub(str(callspec.id)), pairs


def tag_ending(report: Any, item: pytest.Item, scrub: Callable[[str], str]) -> None:
    """Put the rest of a linked test's data on its teardown's report (each of its reports
    carries its links), as plain data xdist carries as JSON: the iteration and what
    ``tm_result`` added."""
    report.tm_iteration, report.tm_parameters = iteration_of(item, scrub)
    report.tm_notes = item.stash[NOTES].to_data() if NOTES in item.stash else None


def _safe_repr(value: object) -> str:
    """``repr(value)``, cut long (the scrubber hides cut secrets); never raises."""
    try:
        text = repr(value)
    except Exception as error:  # a broken __repr__ must not break the report
        return f"<{type(value).__name__} object: repr() raised {type(error).__name__}>"
    limit = 4 * PARAMETER_LIMIT
    return text if len(text) <= limit else text[:limit] + "..."


class ResultCollector(HooksOnly):
    """The results of one run: tags reports where tests run, journals them where logged.

    What publishing reads: :attr:`journal_path` (``None`` while no linked result came),
    :attr:`services`, :attr:`dry_run`, :meth:`written`; :meth:`close` ends the journal.
    """

    def __init__(
        self,
        config: pytest.Config,
        scrub: Callable[[str], str],
        values: Callable[[], Values],
        switches: Iterable[str],
        scrub_failure: Callable[[str], str],
    ) -> None:
        switches = set(switches)
        self._config = config
        self._scrub = scrub
        #: A failure's text: also the cut-off pieces of long secrets (a key's repr).
        self._scrub_failure = scrub_failure
        self._values = values
        self.dry_run = DRY_RUN.name in switches
        #: The services whose publishing is on (a dry run with none on tries Xray's: the
        #: first service it knew, kept so; ``--zephyr-publish`` makes it try Zephyr Scale's).
        chosen = [name for name, switch in PUBLISH_SWITCHES.items() if switch.name in switches]
        self.services = tuple(chosen or (["xray"] if self.dry_run else []))
        self.run = secrets.token_hex(6)
        self.started = time.time()
        self.journal: Journal | None = None
        #: A result was journaled (a journal reserved at start may have none).
        self.journaled = False
        #: The journal's header and results, for this run's publishing (a replay reads them).
        self._header: dict[str, Any] = {}
        self._results: list[Result] = []
        self._folds = Folds()
        self._result = ResultMaker(scrub, values)
        if not hasattr(config, "workerinput"):
            check_settings(values(), self.services)
            self.journal = reserved_journal(self, config, values())
        #: The linked items collected here, by node id (none in an xdist controller).
        self._linked: dict[str, tuple[pytest.Item, dict[str, list[str]]]] = {}
        self._inherited: Inherited = {}
        #: Only where reports are logged: never in an xdist worker.
        self._logging = not hasattr(config, "workerinput")
        self._distributing = distributing(config)
        posted = functools.partial(config.stash.get, POSTED, {})
        self._unfinished = Unfinished(self._folds, scrub, self.services, posted)
        #: Tests the journal holds no result of, and why: one line each, for the summary.
        self.unjournaled = self._unfinished.notes

    @property
    def journal_path(self) -> Path | None:
        return None if self.journal is None or not self.journaled else self.journal.path

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self) -> Generator[None, Any, Any]:
        """The links of each test a module or class collected, read once per collector (not
        a wrapper around each test's making); a malformed one fails the collector as a
        collection error naming the test, and none of its tests runs."""
        report = yield
        if report.passed:
            linked, services, inherited = self._linked, self.services, self._inherited
            try:
                for item in report.result:
                    if isinstance(item, pytest.Item):
                        links = links_of(item, services, inherited)
                        if links is not None:
                            linked[item.nodeid] = (item, links)
            except LinkError as error:  # after the redaction's own wrapper: scrubbed here
                failure = self._scrub_failure(str(error))
                return pytest.CollectReport(report.nodeid, "failed", failure, [], report.sections)
        return report

    def pytest_collection_finish(self) -> None:
        """In an xdist worker, before any test runs: the links of its tests, posted to the
        controller (:class:`~.fold.Unfinished`), which knows only what reports carry."""
        post = self._config.stash.get(POSTER, None)
        if post is not None:  # none linked is posted too: the controller then knows
            post(LINKS, {nodeid: links for nodeid, (_, links) in self._linked.items()})

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        """An xdist controller gets the workers' collection errors and runs the other tests
        anyway: a malformed link stops the run here, before any test is sent to a worker."""
        if self._distributing and report.failed and is_link_error(report):
            pytest.exit(str(report.longrepr).strip(), returncode=pytest.ExitCode.INTERRUPTED)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Where the test ran: its data on the report, before xdist sends it (a report is
        logged where it is made first). Where reports are logged: folded, journaled."""
        nodeid = report.nodeid  # read once: pytest's reports make it anew on each read
        linked = self._linked.get(nodeid)
        if linked is not None:
            item, links = linked
            report.tm_links = links  # type: ignore[attr-defined]  # xdist carries it
            if report.when == "teardown":
                tag_ending(report, item, self._scrub)
        elif getattr(report, "tm_links", None) is None:  # not linked, or not tagged where run
            if self._distributing and report.when == CRASHED:
                crashed = self._unfinished.crashed(report, nodeid)
                if crashed is not None:
                    self.add(self._result(nodeid, crashed, None))
            return
        if self._logging:
            attempt = self._folds.add(report, nodeid)
            if attempt is not None:
                self.add(self._result(nodeid, attempt, report))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Before publishing: the tests that did not finish (:class:`~.fold.Unfinished`)."""
        interrupted = session.exitstatus == pytest.ExitCode.INTERRUPTED
        for nodeid, attempt in self._unfinished.ended(interrupted):
            self.add(self._result(nodeid, attempt, None))

    # Publishing (results/publish.py) runs at pytest_sessionfinish after the hook above,
    # from this object's journal_path, services and dry_run, and calls close() when done.

    def pytest_unconfigure(self) -> None:
        self.close()

    def close(self) -> None:
        """End the journal (publishing appends its steps before)."""
        if self.journal is not None:  # reserved at start, and no linked result came: gone
            self.journal.close(discard=not self.journaled)

    def written(self) -> tuple[Journal, JournalState] | None:
        """The journal, still open, and what it holds, as a reader would find it."""
        if self.journal is None:
            return None
        return self.journal, self.journal.state(self._results, self._header)

    def add(self, result: Result) -> None:
        """Journal one result; the first one creates the journal."""
        if self.journal is None:
            self.journal = new_journal(self, self._config, self._values(), self._header)
        self.journal.add_result(result)
        self.journaled = True
        self._results.append(result)


class ResultMaker:
    """Each attempt that ended made one :class:`~.model.Result`, scrubbed, its evidence
    within the run's cap."""

    __slots__ = ("_evidence_bytes", "_scrub", "_values")

    def __init__(self, scrub: Callable[[str], str], values: Callable[[], Values]) -> None:
        self._scrub = scrub
        self._values = values
        self._evidence_bytes = 0

    def __call__(self, nodeid: str, attempt: Attempt, report: Any) -> Result:
        scrub = self._scrub
        links = attempt.links
        data = getattr(report, "tm_notes", None)
        iteration = getattr(report, "tm_iteration", None)
        if data is None and iteration is None and not attempt.failures:
            return plain_result(scrub(nodeid), attempt)
        notes = _notes(data)
        texts = [scrub(text) for text in (*attempt.failures, *notes.get("comments", ()))]
        dropped = [str(note) for note in notes.get("dropped", ())]
        evidence = [e for e in map(Evidence.from_data, notes.get("evidence", ())) if e]
        attaches = attempt.outcome in ("failed", "error") and report is not None
        if attempt.failures and attaches and self._values().flag(ATTACH_OUTPUT.name):
            evidence += _output(report, scrub, sum(item.size for item in evidence), dropped)
        nodeid = scrub(nodeid)
        return Result(
            nodeid=nodeid,
            test=test_of(nodeid) if iteration else nodeid,
            links=linked_keys(links),
            outcome=attempt.outcome,
            start=attempt.start,
            finish=attempt.finish,
            comment=bounded("\n".join(texts), COMMENT_LIMIT) if texts else "",
            iteration=None if iteration is None else scrub(str(iteration)),
            parameters=tuple(
                (scrub(str(name)), scrub(str(value)))
                for name, value in getattr(report, "tm_parameters", None) or ()
            ),
            defects=tuple(links.get("defects", ())),
            evidence=tuple(self._within_run_cap(evidence, dropped)) if evidence else (),
            dropped=tuple(dropped),
        )

    def _within_run_cap(self, evidence: list[Evidence], dropped: list[str]) -> list[Evidence]:
        kept, self._evidence_bytes = within_run_cap(evidence, self._evidence_bytes, dropped)
        return kept


def within_run_cap(
    evidence: list[Evidence], used: int, dropped: list[str]
) -> tuple[list[Evidence], int]:
    """The evidence within the run's cap given ``used`` bytes, and the bytes then used;
    what is over it is said in ``dropped``."""
    kept = []
    for item in evidence:
        if used + item.size > EVIDENCE_BYTES_PER_RUN:
            cap = EVIDENCE_BYTES_PER_RUN
            dropped.append(f"evidence {item.filename!r} dropped: over {cap} bytes per run")
            continue
        used += item.size
        kept.append(item)
    return kept, used


def plain_result(nodeid: str, attempt: Attempt) -> Result:
    """The common result (most tests): no parameters, notes or failure, only the outcome
    and times; ``nodeid`` scrubbed already."""
    links = attempt.links
    defects = links.get("defects")
    return Result(
        nodeid, nodeid, linked_keys(links), attempt.outcome, attempt.start, attempt.finish,
        "", None, (), tuple(defects) if defects else (),
    )  # fmt: skip


def linked_keys(links: Mapping[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """The keys by service of a report's links (its Xray defects apart)."""
    return {service: tuple(keys) for service, keys in links.items() if service != "defects"}


def new_journal(
    collector: ResultCollector, config: pytest.Config, values: Values, header: dict[str, Any]
) -> Journal:
    """The run's journal, created on its first result, its ``header`` (filled here) as the
    run resolved it."""
    run = collector.run
    path = values.text(JOURNAL.name)
    if not path:
        stamp = file_stamp(collector.started)
        cache = getattr(config, "cache", None)
        folder = cache.mkdir("tm-auth") if cache is not None else None
        folder = folder or tempfile.mkdtemp(prefix="pytest-tm-auth-")
        path = str(Path(folder) / f"journal-{stamp}-{run}.jsonl")
    header.update(
        {
            "run": run,
            "started": collector.started,
            "label": f"tm-auth-{run}",
            "host": host_name(),
            "rootdir": str(config.rootpath),
            "services": {name: service_header(name, values) for name in collector.services},
            **({"dry_run": True} if collector.dry_run else {}),  # the command asks first
        }
    )
    return Journal.create(Path(path).expanduser(), header)


def host_name() -> str:
    """The machine's name, as ``socket.gethostname()`` gives it: from ``os.uname()`` where
    there is one (``socket`` costs more to import than the rest of a journal's header)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket  # Windows

    return socket.gethostname()


def reserved_journal(
    collector: ResultCollector, config: pytest.Config, values: Values
) -> Journal | None:
    """A journal path given: created (and locked) at start, so that a second run given the
    same path stops before any test, not at its first result."""
    if not values.text(JOURNAL.name):
        return None
    try:
        return new_journal(collector, config, values, collector._header)
    except JournalError as error:
        raise ConfigError(str(error)) from None


def check_settings(values: Values, services: Iterable[str]) -> None:
    """At start, not after every test ran: the settings publishing will read."""
    check_statuses(values.text(XRAY_STATUSES.name))
    check_journal_path(values.text(JOURNAL.name))
    if "zephyr" in services:
        from pytest_tm_auth.results.model import PublishError
        from pytest_tm_auth.results.zephyr_payload import ZephyrSettings

        header = {"services": {"zephyr": service_header("zephyr", values)}}
        try:
            ZephyrSettings.from_header(header)
        except PublishError as error:
            raise ConfigError(f"Zephyr Scale publishing: {error}") from None


def check_statuses(configured: str | None) -> None:
    """At start, not after every test ran: a status table that cannot be read."""
    try:
        status_table("cloud", configured)
    except ValueError as error:
        raise ConfigError(f"{XRAY_STATUSES.option}: {error}") from None


def check_journal_path(configured: str | None) -> None:
    """At start: a journal is only ever created anew, in a folder that exists."""
    if not configured:
        return
    path = Path(configured).expanduser()
    if path.exists() or path.is_symlink():
        raise ConfigError(
            f"the journal {path} exists already: a journal is never overwritten; remove it "
            f"or give {JOURNAL.option} another path"
        )
    if not path.parent.is_dir():
        raise ConfigError(f"the folder of the journal {path} does not exist")


def service_header(service: str, values: Values) -> dict[str, Any]:
    """A service's settings as the run resolved them, by the journal's names."""
    header: dict[str, Any] = {}
    for setting in SERVICE_SETTINGS[service]:
        name = setting.name.removeprefix(service + "_")
        text = values.text(setting.name)
        if name == "test_environments":
            header[HEADER_NAMES[name]] = [p.strip() for p in (text or "").split(",") if p.strip()]
        else:
            header[name] = text
    return header


def test_of(nodeid: str) -> str:
    """The node id without its ``[parameters]`` part: what a test's variants share."""
    bracket = nodeid.find("[", nodeid.rfind("::") + 1)
    return nodeid[:bracket] if bracket > 0 else nodeid


def _notes(data: object) -> Mapping[str, Any]:
    """What ``tm_result`` added, as the report carried it (plain lists, else nothing)."""
    if not isinstance(data, Mapping):
        return {}
    kinds = {"comments": str, "evidence": Mapping, "dropped": str}
    return {
        name: [item for item in found if isinstance(item, kind)]
        for name, kind in kinds.items()
        if isinstance(found := data.get(name), list)
    }


def _output(
    report: Any, scrub: Callable[[str], str], used: int, dropped: list[str]
) -> list[Evidence]:
    """The failed test's captured output, scrubbed, as ``output.txt`` (within the test's cap)."""
    import base64

    text = "".join(
        f"----- {title} -----\n{content}\n"
        for title, content in getattr(report, "sections", ())
        if title.startswith("Captured") and content
    )
    if not text:
        return []
    body = scrub(text).encode("utf-8")
    if used + len(body) > EVIDENCE_BYTES_PER_TEST:
        dropped.append(f"evidence 'output.txt' ({len(body)} bytes) dropped: over the test's cap")
        return []
    data = base64.b64encode(body).decode("ascii")
    return [Evidence("output.txt", "text/plain", data, len(body))]
