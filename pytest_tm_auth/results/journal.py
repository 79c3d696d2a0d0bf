"""The run's results journal: what was collected and how far publishing got, on disk first.

One JSON object per line, appended as it happens: the run's header, each linked test's
result as pytest reports it, then per service the steps of publishing (``creating`` a
target, the ``target`` key, ``landed``, ``failed``). A result line is flushed to the
operating system when written, so a killed run leaves every result it reported; a step is
also synced to the disk before the request it announces is sent, so that a retry or a
replay (``pytest-tm-auth publish JOURNAL``) targets the key a run already made.

The file is ``0600`` and only ever created anew, never through a symbolic link. Each line
carries a digest chained to the line before, so that an edited, reordered or spliced line is
refused when read; a last line cut short (a killed run) is ignored and said. Reading checks
the owner and the mode first: a journal another user could write is never replayed. One
holder at a time (the run, or one ``publish``) reads and appends through one locked
descriptor; a line a killed run cut is cut off when a replay first writes.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from json.encoder import encode_basestring_ascii as _quoted
from pathlib import Path
from typing import IO, Any

from pytest_tm_auth.core.errors import TmAuthError
from pytest_tm_auth.results.model import Result

FORMAT = 2
#: The longest line read back: a result with all the evidence a test may carry, in base64.
LINE_LIMIT = 16 * 1024 * 1024
#: The most a journal may hold when read back: results, and bytes in all (a forged or
#: runaway journal is refused in one line, not read into memory).
RESULT_LIMIT = 100_000
BYTE_LIMIT = 512 * 1024 * 1024
#: What a service's publishing records, in the order it does (``sent``: one item of a
#: target filled one request at a time, such as a Zephyr Scale execution or attachment).
STEPS = ("creating", "target", "sent", "landed", "failed")


class JournalError(TmAuthError):
    """A journal that cannot be written, read or trusted; the message names it."""


class _Fields:
    """Equal when every field is: a dataclass's ``__eq__``, without a dataclass's cost (some
    3 M instructions to define one, at import, in every publishing run)."""

    __slots__: tuple[str, ...] = ()
    __hash__ = None  # type: ignore[assignment]  # mutable: unhashable, as a dataclass

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.__slots__)


class ServiceProgress(_Fields):
    """How far one service's publishing got, as the journal tells it."""

    __slots__ = (
        "creating", "creation_refused", "failures", "landed", "last_step", "sent", "target",
    )  # fmt: skip

    def __init__(self) -> None:
        #: The label a target was being created with (the creation's answer may be lost).
        self.creating: str | None = None
        #: The target's ``key`` (and ``id``, ``url`` when known) once it exists.
        self.target: dict[str, Any] | None = None
        #: The items that landed one at a time so far (``item`` -> the id the service gave it).
        self.sent: dict[str, str] = {}
        #: Set once the service confirmed the results: ``key``, ``count``, ``at``.
        self.landed: dict[str, Any] | None = None
        #: Each failed attempt's one-line reason, oldest first.
        self.failures: list[str] = []
        #: The step journaled last (``failed`` right after ``creating``: the creation's end).
        self.last_step: str | None = None
        #: The last creation certainly never happened (refused, not lost): another may be made.
        self.creation_refused = False

    def __repr__(self) -> str:
        return f"ServiceProgress(target={self.target!r}, landed={self.landed!r})"


class JournalState(_Fields):
    """A journal read back: its header, its results, each service's progress."""

    __slots__ = ("header", "path", "results", "services", "torn")

    def __init__(
        self,
        path: Path,
        header: dict[str, Any],
        results: list[Result],
        services: dict[str, ServiceProgress],
        torn: bool = False,
    ) -> None:
        self.path = path
        self.header = header
        self.results = results
        self.services = services
        #: The last line was cut short (the run was killed while writing it) and is ignored.
        self.torn = torn

    def progress(self, service: str) -> ServiceProgress:
        return self.services.setdefault(service, ServiceProgress())

    def __repr__(self) -> str:
        return f"JournalState({str(self.path)!r}, {len(self.results)} results)"


#: One encoder for every line (``json.dumps`` with options builds a new one per call).
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode
#: How a line ends: the digest of the line before and its body, then the newline.
SUM_FIELD = ',"sum":"'
DIGEST_LENGTH = 32
SUM_TAIL = len(SUM_FIELD) + DIGEST_LENGTH + len('"}\n')


#: Times from 1970 to this (the year 5138) are written to the microsecond by
#: :func:`_result_body`; any other (an infinity, which JSON writes as ``Infinity``) by the
#: encoder.
TIME_LIMIT = 1e11


def _digest(previous: str, body: str) -> str:
    """BLAKE2b, 128 bits: a plain digest (see the module's docstring), cheaper than SHA-256;
    copied from one made once (making one with its size costs more than hashing a line)."""
    digest = _BLAKE2B.copy()
    digest.update((previous + body).encode("ascii"))
    return digest.hexdigest()


_BLAKE2B = hashlib.blake2b(digest_size=DIGEST_LENGTH // 2)


def _line(body: str, previous: str) -> tuple[bytes, str]:
    """The record's JSON as a journal line (ASCII bytes), and its digest (chained to
    ``previous``)."""
    digest = _digest(previous, body)
    return f'{body[:-1]}{SUM_FIELD}{digest}"}}\n'.encode("ascii"), digest


def _result_body(result: Result) -> str:
    """A result's record as JSON: the common one (a passing test's, no notes: most lines of
    a journal) written directly, with the fields :meth:`Result.to_data` keeps, in its order;
    any other through the encoder."""
    start, finish = result.start, result.finish
    if (
        result.test != result.nodeid
        or result.comment
        or result.iteration is not None
        or result.parameters
        or result.evidence
        or result.dropped
        or not (0.0 <= start < TIME_LIMIT and 0.0 <= finish < TIME_LIMIT)
    ):
        return _dumps({"kind": "result", **result.to_data()})
    links = ",".join(
        [
            f"{_quoted(service)}:[{','.join(map(_quoted, keys))}]"
            for service, keys in result.links.items()
        ]
    )
    defects = f',"defects":[{",".join(map(_quoted, result.defects))}]' if result.defects else ""
    return (
        f'{{"kind":"result","nodeid":{_quoted(result.nodeid)},"links":{{{links}}},'
        f'"outcome":{_quoted(result.outcome)},"start":{start:.6f},"finish":{finish:.6f}{defects}}}'
    )


def _body(line: str) -> tuple[str, str] | None:
    """A line's body as it was hashed and its digest, or ``None`` when it has no digest."""
    if len(line) < SUM_TAIL + 2 or not line.endswith('"}\n'):
        return None
    cut = len(line) - SUM_TAIL
    if line[cut : cut + len(SUM_FIELD)] != SUM_FIELD:
        return None
    return line[:cut] + "}", line[cut + len(SUM_FIELD) : -3]


class Journal:
    """A journal open for appending (one writer: the run, or one ``publish`` command)."""

    def __init__(self, path: Path, fd: int, last: str) -> None:
        self.path = path
        #: Written through the descriptor itself: one ``write`` per line, nothing buffered.
        self._fd = fd
        self._last = last

    @classmethod
    def create(cls, path: Path, header: Mapping[str, Any]) -> Journal:
        """A new journal at ``path`` (never an existing file or link), its header written,
        locked until closed."""
        flags = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(path, flags, 0o600)
        except OSError as error:
            raise JournalError(f"cannot create the journal {path}: {_reason(error)}") from None
        _lock(path, fd)
        journal = cls(path, fd, "")
        journal._write({"kind": "run", "format": FORMAT, **header}, sync=True)
        return journal

    def state(self, results: list[Result], header: Mapping[str, Any]) -> JournalState:
        """What a reader of this new journal would find, from what its writer wrote:
        ``header`` as given to :meth:`create`, ``results`` as added (no step yet)."""
        return JournalState(self.path, {"format": FORMAT, **header}, results, {})

    @classmethod
    def reopen(cls, path: Path, *, write: bool = True) -> tuple[Journal, JournalState]:
        """An existing journal, locked, checked and read through one descriptor, open to
        append further steps; a line a killed run cut is cut off (unless ``write`` is off:
        a dry run never changes the journal)."""
        fd = _open_locked(path, write=write)
        try:
            state, last, whole = _read_fd(path, fd)
            if state.torn and write:
                os.ftruncate(fd, whole)  # the cut line goes: what follows chains on
                state.torn = False
        except BaseException:
            os.close(fd)
            raise
        return cls(path, fd, last), state

    def read(self) -> JournalState:
        """The journal as written so far, read back through its own (locked) descriptor."""
        return _read_fd(self.path, self._fd)[0]

    def add_result(self, result: Result) -> None:
        """Append one result; written to the operating system at once, so that a killed run
        keeps it."""
        self._append_body(_result_body(result), sync=False)

    def step(self, kind: str, service: str, **fields: Any) -> None:
        """Record a step of ``service``'s publishing, on disk before the caller goes on."""
        if kind not in STEPS:
            raise ValueError(f"unknown journal step {kind!r}")
        self._write({"kind": kind, "service": service, **fields}, sync=True)

    def close(self, *, discard: bool = False) -> None:
        """Unlocked; ``discard``: removed first (a journal reserved that got no result)."""
        if self._fd < 0:
            return  # never unlinks a path another run may have taken since
        if discard:
            self.path.unlink(missing_ok=True)
        fd, self._fd = self._fd, -1
        os.close(fd)

    def _write(self, record: Mapping[str, Any], *, sync: bool) -> None:
        self._append_body(_dumps(record), sync=sync)

    def _append_body(self, body: str, *, sync: bool) -> None:
        line, digest = _line(body, self._last)
        self._append(line)
        if sync:
            try:
                os.fsync(self._fd)
            except OSError as error:
                reason = _reason(error)
                raise JournalError(f"cannot sync the journal {self.path}: {reason}") from None
        self._last = digest

    def _append(self, data: bytes) -> None:
        """``data`` handed to the operating system whole (a write may take part of it)."""
        try:
            while data:
                data = data[os.write(self._fd, data) :]
        except OSError as error:
            raise JournalError(f"cannot write the journal {self.path}: {_reason(error)}") from None


def read_journal(path: Path) -> JournalState:
    """The journal at ``path``, checked: owner, mode, every line's digest. Raises
    :class:`JournalError` with one line naming what cannot be trusted."""
    return _read(path)[0]


def _read(path: Path) -> tuple[JournalState, str]:
    fd = _open_locked(path, write=False)
    try:
        return _read_fd(path, fd)[:2]
    finally:
        os.close(fd)


def _open_locked(path: Path, *, write: bool) -> int:
    access = os.O_RDWR | os.O_APPEND if write else os.O_RDONLY
    try:
        fd = os.open(path, access | getattr(os, "O_NOFOLLOW", 0))
    except OSError as error:
        raise JournalError(f"cannot read the journal {path}: {_reason(error)}") from None
    try:
        _lock(path, fd)
    except JournalError:
        os.close(fd)
        raise
    return fd


def _lock(path: Path, fd: int) -> None:
    """One holder at a time: the run from create to close, or one ``publish``. A lock of
    the file's own descriptor, gone with it (a killed holder frees it). Not on Windows."""
    if os.name == "nt":
        return
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise JournalError(f"the journal {path} is in use by another run or command") from None


def _read_fd(path: Path, fd: int) -> tuple[JournalState, str, int]:
    """The state, the last digest, and where the last whole line ends (in bytes)."""
    _check_private(path, os.fstat(fd))
    os.lseek(fd, 0, os.SEEK_SET)
    with os.fdopen(
        fd, "r", encoding="ascii", errors="replace", newline="\n", closefd=False
    ) as handle:
        return _parse(path, handle)


def _check_private(path: Path, status: os.stat_result) -> None:
    if os.name == "nt":
        return
    from pytest_tm_auth.store.private import foreign

    if foreign(status.st_uid):
        raise JournalError(f"the journal {path} belongs to another user: it is not replayed")
    if status.st_mode & 0o077:
        raise JournalError(
            f"the journal {path} is open to other users (mode {status.st_mode & 0o777:o}): "
            "it is not replayed; if you trust it, run: chmod 600 " + str(path)
        )


def _parse(path: Path, handle: IO[str]) -> tuple[JournalState, str, int]:
    state = JournalState(path, {}, [], {})
    last = ""
    number = 0
    whole = 0  # one character a byte: ASCII, anything else read as one U+FFFD
    while line := handle.readline(LINE_LIMIT + 1):
        number += 1
        if not line.endswith("\n"):
            if len(line) > LINE_LIMIT:
                raise JournalError(f"the journal {path} has a line over {LINE_LIMIT} bytes")
            state.torn = True  # a run killed while writing: the only line that may be cut
            break
        whole += len(line)
        if line == "\n":
            continue  # where an earlier version closed a cut line
        record, last = _checked(path, number, line, last)
        _apply(state, record, path, number)
        if whole > BYTE_LIMIT or len(state.results) > RESULT_LIMIT:
            raise JournalError(
                f"the journal {path} holds more than {RESULT_LIMIT} results or "
                f"{BYTE_LIMIT // 2**20} MiB: it is not read"
            )
    if not state.header:
        raise JournalError(f"the journal {path} is empty or has no header: nothing to publish")
    return state, last, whole


def _checked(path: Path, number: int, line: str, previous: str) -> tuple[dict[str, Any], str]:
    """The line's record, once its digest matches its body as written (never re-encoded)."""
    found = _body(line)
    record: object = None
    digest = None
    if found is not None and found[1] == _digest(previous, found[0]):
        body, digest = found
        try:
            record = json.loads(body)
        except (ValueError, RecursionError):  # RecursionError: a forged line nested too deep
            record = None
    if not isinstance(record, dict) or digest is None:
        raise JournalError(
            f"the journal {path} was changed after it was written (line {number}): "
            "it is not replayed"
        )
    return record, digest


def _apply(state: JournalState, record: dict[str, Any], path: Path, number: int) -> None:
    kind = record.pop("kind", None)
    if number == 1:
        if kind != "run" or record.get("format") != FORMAT:
            raise JournalError(f"{path} is not a results journal of this version")
        state.header = record
        return
    if kind == "result":
        result = Result.from_data(record)
        if result is None:
            raise JournalError(f"the journal {path} has a malformed result (line {number})")
        state.results.append(result)
        return
    service = record.get("service")
    if kind not in STEPS or not isinstance(service, str):
        raise JournalError(f"the journal {path} has an unknown record (line {number})")
    progress = state.progress(service)
    _note_creation(progress, kind, record)
    if kind == "creating":
        progress.creating = str(record.get("label", ""))
    elif kind == "target":
        progress.target = record
    elif kind == "sent":
        progress.sent[str(record.get("item", ""))] = str(record.get("id", ""))
    elif kind == "landed":
        progress.landed = record
    else:
        progress.failures.append(str(record.get("reason", "")))


def _note_creation(progress: ServiceProgress, kind: str, record: dict[str, Any]) -> None:
    """Whether the last ``creating`` certainly came to nothing: a ``failed`` that is not
    ambiguous, journaled right after it (no other request was sent in between)."""
    if kind == "creating":
        progress.creation_refused = False
    elif kind == "failed" and progress.last_step == "creating":
        progress.creation_refused = record.get("ambiguous") is False
    progress.last_step = kind


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
