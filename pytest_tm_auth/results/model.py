"""A run's results as plain data: one :class:`Result` per linked test, as pytest reported it.

The one vocabulary of both services: collected where reports are logged, journaled as they
arrive, replayed from the journal, and turned into a service's shape only when sent. Every
text in a result was scrubbed and bounded when it was made (:func:`bounded`); a result read
back from a journal is checked field by field and never trusted (:meth:`Result.from_data`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from pytest_tm_auth.core.errors import TmAuthError, inert
from pytest_tm_auth.core.token import utc_time

#: pytest's outcomes of a test, as :class:`Result` names them.
OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
#: Worst first wins: the status of a key several results (or iterations) share.
RANK = {"error": 6, "failed": 5, "xfailed": 4, "skipped": 3, "xpassed": 2, "passed": 1}

#: Status names by deployment, for each outcome; ``xray_statuses`` overrides any of them.
XRAY_STATUSES = {
    "cloud": {
        "passed": "PASSED",
        "failed": "FAILED",
        "error": "FAILED",
        "skipped": "TODO",
        "xfailed": "FAILED",
        "xpassed": "PASSED",
    },
    "datacenter": {
        "passed": "PASS",
        "failed": "FAIL",
        "error": "FAIL",
        "skipped": "TODO",
        "xfailed": "FAIL",
        "xpassed": "PASS",
    },
}

# Caps, below what the services accept: what is cut or dropped is said in the summary.
#: Characters of one test's comment (Jira text fields hold 32,767).
COMMENT_LIMIT = 8_000
#: Characters of one parameter's value, and parameters kept per iteration.
PARAMETER_LIMIT = 200
PARAMETERS_PER_ITERATION = 32
#: Evidence files and bytes (before base64) per test, and bytes per run.
EVIDENCE_FILES_PER_TEST = 20
EVIDENCE_BYTES_PER_TEST = 5 * 1024 * 1024
EVIDENCE_BYTES_PER_RUN = 25 * 1024 * 1024
#: Characters of an evidence file's name.
FILENAME_LIMIT = 120

#: A Jira issue key: project key (a letter, then letters, digits, ``_``), ``-``, a number.
JIRA_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,254}-[1-9][0-9]{0,17}")
#: A Zephyr Scale test case key: project key, ``-T``, a number (``DEMO-T12``).
ZEPHYR_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,254}-T[0-9]{1,18}")
#: The keys each service's marker takes; a service not named here takes Jira issue keys.
KEY_PATTERNS = {"xray": JIRA_KEY, "zephyr": ZEPHYR_KEY}


class PublishError(TmAuthError):
    """Results that did not land, in one line. ``ambiguous``: the request may have taken
    effect (its answer was lost), so the outcome is unknown and nothing is sent blindly."""

    def __init__(self, message: str, *, ambiguous: bool = False) -> None:
        super().__init__(message)
        self.ambiguous = ambiguous


class ResultsLanded(PublishError):
    """The results landed in ``key``; only what follows them (files) did not."""

    def __init__(self, message: str, key: str, *, ambiguous: bool = False) -> None:
        super().__init__(message, ambiguous=ambiguous)
        self.key = key


def key_pattern(service: str) -> re.Pattern[str]:
    """What a key linked to ``service`` looks like."""
    return KEY_PATTERNS.get(service, JIRA_KEY)


def service_header(header: Mapping[str, Any], service: str) -> Mapping[str, Any]:
    """``service``'s settings as the journal's header holds them (none when malformed)."""
    services = header.get("services")
    given = services.get(service) if isinstance(services, Mapping) else None
    return given if isinstance(given, Mapping) else {}


def header_text(given: Mapping[str, Any], name: str) -> str | None:
    """A text setting of :func:`service_header`, stripped; ``None`` when blank or not text."""
    value = given.get(name)
    return value.strip() or None if isinstance(value, str) else None


def default_summary(header: Mapping[str, Any]) -> str:
    """A new target's name: ``pytest run tm-auth-0a1b2c3d4e5f on build-7, 2026-12-10 14:02
    UTC``; it holds the run's label, which a replay searches for."""
    label = inert(str(header.get("label") or "tm-auth"), 60)
    host = inert(str(header.get("host") or "an unnamed host"), 60)
    started = header.get("started")
    when = utc_time(float(started)) if isinstance(started, (int, float)) else "at an unknown time"
    return f"pytest run {label} on {host}, {when}"


def bounded(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how much was cut."""
    if len(text) <= limit:
        return text
    note = f"... [{len(text) - limit + 40} more characters cut]"
    return text[: max(0, limit - len(note))] + note


def worst(outcomes: Iterable[str]) -> str:
    """The worst of ``outcomes`` by :data:`RANK`, the first of equals (``passed`` for none);
    a loop, not ``max`` with a key function: a key's results may be thousands."""
    found, highest = "passed", -1
    for outcome in outcomes:
        rank = RANK.get(outcome, 0)
        if rank > highest:
            found, highest = outcome, rank
    return found


def status_table(deployment: str, overrides: str | None) -> dict[str, str]:
    """The outcome -> status names of ``deployment``, with ``outcome=STATUS`` overrides.

    Raises ValueError naming a malformed pair or an unknown outcome.
    """
    table = dict(XRAY_STATUSES[deployment])
    for pair in (overrides or "").split(","):
        if not pair.strip():
            continue
        outcome, sep, status = (part.strip() for part in pair.partition("="))
        if not sep or not status or not status.replace("_", "").replace(" ", "").isalnum():
            raise ValueError(f"{pair.strip()!r} is not OUTCOME=STATUS")
        if outcome not in table:
            raise ValueError(f"{outcome!r} is not a pytest outcome ({', '.join(OUTCOMES)})")
        table[outcome] = status
    return table


class Evidence(NamedTuple):
    """A file attached to a test's result; ``data`` is base64 (the services' own form)."""

    filename: str
    content_type: str
    data: str
    #: Bytes before base64, for the caps.
    size: int

    def to_data(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "contentType": self.content_type,
            "data": self.data,
            "size": self.size,
        }

    @classmethod
    def from_data(cls, data: object) -> Evidence | None:
        if not isinstance(data, Mapping):
            return None
        filename, content_type = data.get("filename"), data.get("contentType")
        body, size = data.get("data"), data.get("size")
        if not (
            isinstance(filename, str)
            and isinstance(content_type, str)
            and isinstance(body, str)
            and isinstance(size, int)
            and not isinstance(size, bool)
            and 0 <= size <= EVIDENCE_BYTES_PER_TEST
            and len(body) == base64_length(size)  # the size the caps count is the data's
        ):
            return None
        return cls(filename, content_type, body, size)


def base64_length(size: int) -> int:
    """How long ``size`` bytes are in padded base64."""
    return 4 * ((size + 2) // 3)


class Result(NamedTuple):
    """One linked test's result: the outcome of all its phases, its last attempt's.

    ``test`` is the node id without the parameter part: the variants of one parametrized
    test share it, and become iterations (``iteration`` names one: its parameter id).
    ``links`` maps a service (``xray``) to the keys the test's marker names.

    A named tuple, not a dataclass: one is made per linked test as it is reported, and a
    tuple is made (and its class defined) at a fraction of the cost.
    """

    nodeid: str
    test: str
    links: Mapping[str, tuple[str, ...]]
    outcome: str
    start: float
    finish: float
    comment: str = ""
    iteration: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()
    defects: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    #: What was cut or dropped from this result, each said once in the summary.
    dropped: tuple[str, ...] = ()

    def to_data(self) -> dict[str, Any]:
        """As plain data; what is empty (or ``test``, when the node id) is left out: most
        results are a passing test's, and their journal lines stay short."""
        data: dict[str, Any] = {"nodeid": self.nodeid}
        if self.test != self.nodeid:
            data["test"] = self.test
        data["links"] = {service: list(keys) for service, keys in self.links.items()}
        data["outcome"] = self.outcome
        data["start"] = self.start
        data["finish"] = self.finish
        if self.comment:
            data["comment"] = self.comment
        if self.iteration is not None:
            data["iteration"] = self.iteration
        if self.parameters:
            data["parameters"] = [list(pair) for pair in self.parameters]
        if self.defects:
            data["defects"] = list(self.defects)
        if self.evidence:
            data["evidence"] = [item.to_data() for item in self.evidence]
        if self.dropped:
            data["dropped"] = list(self.dropped)
        return data

    @classmethod
    def from_data(cls, data: object) -> Result | None:
        """The result ``data`` holds; ``None`` when any field is malformed."""
        if not isinstance(data, Mapping):
            return None
        try:
            return _result(data)
        except (TypeError, ValueError, KeyError, IndexError):  # a forged line: never a crash
            return None


def _strings(value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError("not a list of strings")
    return tuple(value)


def _keys(value: object) -> tuple[str, ...]:
    keys = _strings(value)
    if not all(JIRA_KEY.fullmatch(key) for key in keys):
        raise ValueError("a malformed defect key")
    return keys


def _pair(value: object) -> tuple[str, str]:
    pair = _strings(value)
    if len(pair) != 2:
        raise ValueError("not a name and a value")
    return pair[0], pair[1]


def _evidence(data: object) -> Evidence:
    evidence = Evidence.from_data(data)
    if evidence is None:
        raise ValueError("evidence")
    return evidence


def _result(data: Mapping[str, Any]) -> Result:
    nodeid, outcome = data["nodeid"], data["outcome"]
    test = data.get("test", nodeid)
    if not (isinstance(nodeid, str) and isinstance(test, str)) or outcome not in RANK:
        raise ValueError("nodeid, test or outcome")
    links = data["links"]
    if not isinstance(links, Mapping):
        raise TypeError("links")
    keys = {str(service): _strings(found) for service, found in links.items()}
    for service, found in keys.items():
        pattern = key_pattern(service)
        if not all(pattern.fullmatch(key) for key in found):
            raise ValueError("a malformed key")
    start, finish = data["start"], data["finish"]
    if not all(isinstance(t, (int, float)) and not isinstance(t, bool) for t in (start, finish)):
        raise TypeError("times")
    comment, iteration = data.get("comment", ""), data.get("iteration")
    if not isinstance(comment, str) or not (iteration is None or isinstance(iteration, str)):
        raise TypeError("comment or iteration")
    pairs = data.get("parameters", [])
    if not isinstance(pairs, list):
        raise TypeError("parameters")
    parameters = tuple(_pair(pair) for pair in pairs) if pairs else ()
    found = data.get("evidence", [])
    if not isinstance(found, list):
        raise TypeError("evidence")
    evidence = tuple(_evidence(item) for item in found) if found else ()
    return Result(
        nodeid,
        test,
        keys,
        outcome,
        float(start),
        float(finish),
        bounded(comment, COMMENT_LIMIT),
        iteration,
        parameters,
        _keys(data.get("defects", [])),
        evidence,
        _strings(data.get("dropped", [])),
    )


def by_key(results: Iterable[Result], service: str) -> dict[str, list[Result]]:
    """The results linked to each of ``service``'s keys, in the order they came."""
    grouped: dict[str, list[Result]] = {}
    for result in results:
        for key in result.links.get(service, ()):
            grouped.setdefault(key, []).append(result)
    return grouped


def capped_evidence(
    key: str, results: list[Result], budget: list[int], dropped: list[str]
) -> list[dict[str, str]]:
    """The key's evidence within the caps per test and per run (``budget``: bytes left)."""
    kept: list[dict[str, str]] = []
    used = 0
    for item in (item for result in results for item in result.evidence):
        if len(kept) >= EVIDENCE_FILES_PER_TEST:
            why = f"over {EVIDENCE_FILES_PER_TEST} files per test"
        elif used + item.size > EVIDENCE_BYTES_PER_TEST:
            why = "over the evidence bytes per test"
        elif item.size > budget[0]:
            why = "over the evidence bytes per run"
        else:
            used += item.size
            budget[0] -= item.size
            name = bounded(item.filename, FILENAME_LIMIT)
            kept.append({"data": item.data, "filename": name, "contentType": item.content_type})
            continue
        dropped.append(f"{key}: evidence {inert(item.filename, 60)!r} dropped ({why})")
    return kept


@dataclass(frozen=True)
class Landing:
    """Where a service's results landed (``pytest_tm_auth_published`` gets one)."""

    service: str
    #: The Test Execution's (or cycle's, run's) key, e.g. ``DEMO-1201``.
    key: str
    #: Its browse URL.
    url: str
    #: Results sent (one per linked key).
    count: int
    #: Seconds the publishing took.
    seconds: float


class Made(NamedTuple):
    """A target a creation made, or a search by label found (a named tuple: cheaper to
    define than a dataclass, in every publishing run)."""

    key: str
    id: str = ""
    #: Its browse URL, when the service's answer gave one.
    url: str = ""
    #: The results landed with it: a Zephyr Scale cycle or run made with all of them.
    filled: bool = False


class Ledger(NamedTuple):
    """What landed one item at a time in a target, for a client that sends that way
    (Zephyr Scale's executions and attachments): journaled as each lands, so that a replay
    sends only what did not."""

    #: The run's label: in what the client sends, to find it again.
    label: str
    #: Each item that landed, with the id the service gave it ("" when none).
    done: dict[str, str]
    #: An earlier attempt may have landed an item it did not journal (its answer lost).
    unsure: bool
    #: Journals one item as landed (and adds it to ``done``).
    note: Callable[[str, str], None]
    #: The results landed with the target itself: only what follows them is left to send
    #: (Zephyr Scale Data Center's attachments).
    filled: bool = False


class Settings(Protocol):
    """A service's settings read from the journal's header."""

    @property
    def existing(self) -> str | None:
        """The user's own target (Test Execution, cycle, run), given instead of a new one."""


class ServiceClient(Protocol):
    """A service's publishing requests (:class:`~.xray_client.XrayClient`,
    :class:`~.zephyr_client.ZephyrClient`), as :mod:`.services` makes them."""

    service: str
    deployment: str

    def browse(self, key: str) -> str: ...

    def find(self, label: str, settings: Any, payload: dict[str, Any]) -> Made | None: ...

    def create(self, label: str, settings: Any, title: str, payload: dict[str, Any]) -> Made: ...

    def send(self, payload: dict[str, Any], key: str, ledger: Ledger) -> int: ...
