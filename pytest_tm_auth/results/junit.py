"""A JUnit XML report of any runner, read as the untrusted input it is.

The file is checked for its size before a byte of it is read, then its bytes: UTF-8 (or
ASCII) only, as every runner writes, so the bytes and the parser read the same characters.
It is parsed as a stream by defusedxml (no DTD, no entity, no external reference: a billion
laughs stops at its ``<!DOCTYPE``), each element dropped from the tree as soon as it has
been read, and of each text (a test's output, however long) only its first characters
kept: the rest is looked through for the secrets as it streams, then dropped. So memory
stays bounded by the depth of the document, not its length nor a text's. What
cannot be read is one line naming the file and why (:class:`ReportError`), never a
traceback.

Each ``<testcase>`` (under ``<testsuite>``, ``<testsuites>``, nested as any runner nests
them) is a :class:`Case`: its class name, name, time, outcome and message, and the keys it
links: Xray's ``<property name="test_key" value="DEMO-6"/>``, and a Zephyr Scale key in
its name (``test_login_DEMO_T19`` is ``DEMO-T19``, as Zephyr Scale matches it).

A secret of the command's is looked for in everything the parser reads (element and
attribute names and values, texts, the texts between elements, comments, processing
instructions), however XML escapes it, and in the bytes as written: in every form the
scrubber knows it in (escaped, URL-encoded, inside base64 as in ``Basic user:secret``),
and in texts whose ``\\u``, ``\\x`` and ``%`` escapes are read.
"""

from __future__ import annotations

import codecs
import itertools
import re
import stat
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser, iterparse

from pytest_tm_auth.core.errors import TmAuthError, inert
from pytest_tm_auth.core.scrub import every_form

#: The largest report read; a bigger one is refused before anything of it is read.
MAX_BYTES = 100 * 1024 * 1024
#: The most testcases a report may hold (as many as a run's journal).
MAX_CASES = 100_000
#: How deep elements may nest (a runner nests suites a few levels, never this many).
MAX_DEPTH = 64
#: Characters of a case's message kept, and of its name and class name.
MESSAGE_LIMIT = 1000
NAME_LIMIT = 1000
#: A Zephyr Scale test case key in a test's name, ``_`` or ``-`` before the ``T``: the
#: first one, with the whole project key before it (Jira's keys may hold ``_``), which
#: starts after a separator: ``test_login_MY_APP_T19`` is ``MY_APP-T19``.
ZEPHYR_KEY_IN_NAME = re.compile(r"(?<![A-Za-z0-9])([A-Z][A-Z0-9_]*?)[_-]T([0-9]{1,9})(?![0-9])")
#: What a testcase's child says of its outcome; the first one counts.
_OUTCOMES = {"failure": "failed", "error": "error", "skipped": "skipped"}
#: The ``type`` of a ``<skipped>`` that pytest writes for an expected failure: the run's
#: ``xfailed``, so a report's upload and a run's say the same of it.
_XFAIL = "pytest.xfail"
_ROOTS = ("testsuites", "testsuite")
#: What the parser tells: comments and processing instructions too, to be looked through.
_EVENTS = ("start", "end", "comment", "pi")
#: Secrets shorter than this are not looked for in a report (they would match by chance).
SECRET_SHORTEST = 6
#: Characters of each text kept (a message is its first line): the rest is never kept.
TEXT_KEPT = 64 * 1024
#: How much of the report is read at once (bytes), and of a text looked through at once
#: (characters).
_BLOCK = 1 << 20
#: How much of a text is unescaped at once (characters): before Python 3.13, ``unquote``
#: holds a few copies of what it reads, cut at each ``%``.
_UNESCAPED = 1 << 16
#: The encoding an XML declaration names (at the very start of the file, after a BOM).
_DECLARED = re.compile(rb"\A(?:\xef\xbb\xbf)?<\?xml\s[^>]*?\bencoding\s*=\s*[\"']([^\"'>]*)[\"']")
#: The encodings a report may be in: ASCII is UTF-8.
_READ_AS = ("utf-8", "ascii")
#: How many characters one character may take once escaped (four bytes of UTF-8, ``%XX``).
ESCAPED_WIDTH = 12
#: An escape a text may write a secret's characters in: JSON's and Python's.
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\x([0-9A-Fa-f]{2})|\\(/)")


class ReportError(TmAuthError):
    """A report that cannot be read, in one line naming the file and why."""


@dataclass(frozen=True)
class Case:
    """One ``<testcase>``. ``outcome``: ``passed``, ``failed``, ``error``, ``skipped`` or
    ``xfailed`` (pytest's ``<skipped type="pytest.xfail">``)."""

    classname: str
    name: str
    time: float | None
    outcome: str = "passed"
    message: str = ""
    test_key: str | None = None

    @property
    def zephyr_key(self) -> str | None:
        """The Zephyr Scale test case its name names (``..._DEMO_T19`` -> ``DEMO-T19``)."""
        found = ZEPHYR_KEY_IN_NAME.search(self.name)
        return f"{found[1]}-T{found[2]}" if found else None


@dataclass(frozen=True)
class Tally:
    """What a report holds, counted: every case, and those linked to each service."""

    cases: int
    xray_linked: int
    zephyr_linked: int
    #: Cases whose Zephyr Scale key another case of the report names too.
    zephyr_shared: int = 0


def checked(path: Path) -> int:
    """The report's size, once it is known to be a regular file within :data:`MAX_BYTES`."""
    try:
        found = path.stat()
    except OSError as error:
        raise ReportError(f"cannot read the report {path}: {error.strerror}") from None
    if not stat.S_ISREG(found.st_mode):
        raise ReportError(f"the report {path} is not a file")
    if found.st_size > MAX_BYTES:
        raise ReportError(
            f"the report {path} is {found.st_size / 2**20:.1f} MiB, over the "
            f"{MAX_BYTES >> 20} MiB a report may be: refused without reading it"
        )
    return found.st_size


def tally(path: Path, secrets: Mapping[str, str] | None = None) -> Tally:
    """Read the whole report (checking every case) and count it. ``secrets`` (name ->
    value): a report holding one of them, in any text or attribute, is refused."""
    counts = [0, 0, 0]
    keys: Counter[str] = Counter()
    for case in cases(path, secrets):
        counts[0] += 1
        counts[1] += case.test_key is not None
        counts[2] += case.zephyr_key is not None
        keys.update([case.zephyr_key] if case.zephyr_key else [])
    if not counts[0]:
        raise ReportError(f"the report {path} holds no <testcase>: nothing to publish")
    total, xray, zephyr = counts
    return Tally(total, xray, zephyr, sum(n for n in keys.values() if n > 1))


def cases(path: Path, secrets: Mapping[str, str] | None = None) -> Iterator[Case]:
    """Each testcase of the report at ``path``, as the stream reaches its end tag; a report
    holding any of ``secrets`` (name -> value), read or as written, is refused first."""
    checked(path)
    wanted = needles(secrets or {})
    try:
        with open(path, "rb") as file:
            written = _in_bytes(path, file, wanted)
            if written is not None:
                raise ReportError(held(path, written))
            file.seek(0)
            yield from _read(path, file, _Watch(path, wanted))
    except OSError as error:
        raise ReportError(f"cannot read the report {path}: {error.strerror}") from None


def _read(path: Path, file: BinaryIO, watch: _Watch) -> Iterator[Case]:
    open_elements: list[Element] = []
    found = _Found()
    count = 0
    # UTF-8 whatever the declaration says (checked by _in_bytes): the parser never asks
    # Python for another codec.
    parser = DefusedXMLParser(target=_Tree(watch), encoding="utf-8", forbid_dtd=True)
    try:
        for event, element in iterparse(file, events=_EVENTS, parser=parser):
            watch.saw(event, element)
            if event == "start":
                _opened(path, open_elements, element)
                continue
            if event != "end":
                continue  # a comment or a processing instruction, looked through above
            open_elements.pop()
            tag = _tag(element)
            if tag == "testcase":
                count += 1
                if count > MAX_CASES:
                    raise ReportError(
                        f"the report {path} holds more than {MAX_CASES:,} testcases: "
                        "split it into several reports"
                    )
                yield found.case(element)
                found = _Found()
            elif _within_case(open_elements):
                found.read(tag, element)
            if open_elements:
                open_elements[-1].remove(element)  # read: the tree keeps open elements only
    except DefusedXmlException:
        raise ReportError(
            f"the report {path} declares a DTD or entities (<!DOCTYPE ...>): refused, a JUnit "
            "report needs none"
        ) from None
    except ParseError as error:
        raise ReportError(f"the report {path} is not well-formed XML: {error}") from None


def _opened(path: Path, open_elements: list[Element], element: Element) -> None:
    if not open_elements and _tag(element) not in _ROOTS:
        # Its name is not shown: it is the report's text, which may hold anything.
        raise ReportError(
            f"the report {path} is not a JUnit XML report: its root element is not "
            "<testsuites> or <testsuite>"
        )
    open_elements.append(element)
    if len(open_elements) > MAX_DEPTH:
        raise ReportError(f"the report {path} nests elements deeper than {MAX_DEPTH}: refused")


class _Tree(TreeBuilder):
    """The tree the parser builds, each text (an element's, or what follows its end tag)
    kept to its first :data:`TEXT_KEPT` characters: all of it streams through the watch."""

    def __init__(self, watch: _Watch) -> None:
        super().__init__()
        self.watch = watch
        self.kept = 0

    def data(self, data: str, /) -> None:
        self.watch.stream(data)
        if self.kept < TEXT_KEPT:
            part = data[: TEXT_KEPT - self.kept]
            self.kept += len(part)
            super().data(part)

    def start(self, tag: str, attrs: dict[str, str], /) -> Element:
        self._ended()
        return super().start(tag, attrs)

    def end(self, tag: str, /) -> Element:
        self._ended()
        return super().end(tag)

    def _ended(self) -> None:
        """A text ends where the tree builder takes it: at a tag (a comment or an instruction
        is not kept in the tree, and the text on both sides of it is one)."""
        self.watch.stream_end()
        self.kept = 0


class _Watch:
    """Every text the parser reads, looked through for the secrets as it is read: names,
    attributes, comments and instructions as the parser tells them; texts as they stream
    (:meth:`stream`), in blocks, each looked at with the end of the block before it."""

    def __init__(self, path: Path, forms: Mapping[str, str]) -> None:
        self.path = path
        #: Each form of a secret (:func:`needles`) -> the secret's name.
        self.forms = forms
        #: The longest a form may be once escaped: ``%F0%9F%94%91`` is one character. A
        #: text's block is looked at with this much of the end of the block before it.
        self.reach = ESCAPED_WIDTH * max(map(len, forms), default=0)
        self.pending: list[str] = []
        self.size = 0
        self.tail = ""

    def saw(self, event: str, element: Element) -> None:
        if not self.forms:
            return
        if event not in ("start", "end"):
            self._look(element.text or "")  # a comment; a processing instruction
        elif event == "start":
            self._look(_tag(element), *element.attrib.keys(), *element.attrib.values())

    def stream(self, data: str) -> None:
        """A piece of the text being read (the parser gives a text in pieces)."""
        if self.forms:
            self.pending.append(data)
            self.size += len(data)
            if self.size >= _BLOCK:
                self._flush()

    def stream_end(self) -> None:
        """The text being read ended: what is left of it is looked through."""
        if self.pending:
            self._flush()
        self.tail = ""

    def _flush(self) -> None:
        window = self.tail + "".join(self.pending)
        self._look(window)
        self.tail = window[-self.reach :] if self.reach else ""
        self.pending, self.size = [], 0

    def _look(self, *texts: str) -> None:
        for text in texts:
            for view in itertools.chain((text,), _read_escapes(text, self.reach)):
                for form, name in self.forms.items():
                    if form in view:
                        raise ReportError(held(self.path, name))


def needles(secrets: Mapping[str, str]) -> dict[str, str]:
    """Each form a report may hold one of ``secrets`` (name -> value) in, and its name: the
    scrubber's own (:func:`~pytest_tm_auth.core.scrub.every_form`)."""
    return {
        form: name
        for name, value in secrets.items()
        if len(value) >= SECRET_SHORTEST
        for form in every_form(value)
    }


def _read_escapes(text: str, reach: int) -> Iterator[str]:
    """``text`` as its escapes read it (``\\u0064``, ``\\x64``, ``\\/``; ``%64``), in pieces
    of :data:`_UNESCAPED` characters that overlap by ``reach`` (the longest escaped secret),
    so that a huge text costs no copy of itself."""
    if "\\" not in text and "%" not in text:
        return
    from urllib.parse import unquote

    for start in range(0, len(text), _UNESCAPED):
        piece = text[start : start + _UNESCAPED + reach]
        if "\\" in piece:
            yield _ESCAPE.sub(lambda found: found[3] or chr(int(found[1] or found[2], 16)), piece)
        if "%" in piece:
            yield unquote(piece)


def held(path: Path, name: str) -> str:
    """The one line that refuses a report holding the value of the secret ``name``."""
    return (
        f"the report {path} holds the value of {name}, which this command logs in with: "
        "nothing sent; remove it from the report (and change the secret: it was written in "
        "clear)"
    )


def _within_case(open_elements: list[Element]) -> bool:
    """Whether the element that just ended is a testcase's child or a property of it."""
    tags = [_tag(element) for element in open_elements[-2:]]
    return tags[-1:] == ["testcase"] or tags == ["testcase", "properties"]


class _Found:
    """What the children of the open testcase said, as each ended."""

    def __init__(self) -> None:
        self.outcome = "passed"
        self.message = ""
        self.test_key: str | None = None

    def read(self, tag: str, element: Element) -> None:
        if tag in _OUTCOMES and self.outcome == "passed":
            xfail = tag == "skipped" and element.get("type") == _XFAIL
            self.outcome = "xfailed" if xfail else _OUTCOMES[tag]
            said = element.get("message") or (element.text or "").strip().split("\n", 1)[0]
            self.message = inert(said[: MESSAGE_LIMIT * 2], MESSAGE_LIMIT) if said else ""
        elif tag == "property" and element.get("name") == "test_key":
            self.test_key = (element.get("value") or "").strip()[:NAME_LIMIT] or self.test_key

    def case(self, element: Element) -> Case:
        return Case(
            (element.get("classname") or "")[:NAME_LIMIT],
            (element.get("name") or "")[:NAME_LIMIT],
            _seconds(element.get("time")),
            self.outcome,
            self.message,
            self.test_key,
        )


def _seconds(text: str | None) -> float | None:
    try:
        seconds = float(text) if text else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 <= seconds < 10**9 else None


def _tag(element: Element) -> str:
    """The element's name without its namespace (``{urn:x}testcase`` -> ``testcase``)."""
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _in_bytes(path: Path, file: BinaryIO, texts: Mapping[str, str]) -> str | None:
    """The name of the first of ``texts`` (text -> name) the report's bytes hold as
    written; ``None`` when they hold none. A report that is not UTF-8 (ASCII is), in its
    bytes or its declaration, is refused: in one encoding, what the parser reads and the
    bytes as written are the same characters. Read in blocks: the size costs no memory."""
    found = {text.encode("utf-8"): name for text, name in texts.items()}
    overlap = max(map(len, found), default=1) - 1
    decoder = codecs.getincrementaldecoder("utf-8")()
    tail = b""
    first = True
    while block := file.read(_BLOCK):
        if first and not _declares_utf8(block):
            raise ReportError(
                f"the report {path} declares an encoding other than UTF-8: save it as UTF-8 "
                '(<?xml version="1.0" encoding="UTF-8"?>), as runners write reports'
            )
        first = False
        _utf8(path, decoder, block)
        window = tail + block
        for needle, name in found.items():
            if needle in window:
                return name
        tail = window[-overlap:] if overlap else b""
    _utf8(path, decoder, b"", final=True)
    return None


def _declares_utf8(start: bytes) -> bool:
    """Whether the XML declaration, if any, names UTF-8 or ASCII (in any of their names)."""
    declared = _DECLARED.match(start)
    if declared is None:
        return True
    try:
        return codecs.lookup(declared[1].decode("ascii")).name in _READ_AS
    except (LookupError, UnicodeDecodeError):
        return False


def _utf8(
    path: Path, decoder: codecs.IncrementalDecoder, block: bytes, final: bool = False
) -> None:
    """Refuse bytes that are not UTF-8 text: invalid sequences, or NULs (UTF-16, UTF-32)."""
    try:
        decoder.decode(block, final)
    except UnicodeDecodeError:
        valid = False
    else:
        valid = b"\0" not in block
    if not valid:
        raise ReportError(
            f"the report {path} is not UTF-8 text (UTF-16? Latin-1?): save it as UTF-8, as "
            "runners write reports"
        )
