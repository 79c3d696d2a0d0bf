"""A JUnit XML report of any runner, read as the untrusted input it is.

The file is checked for its size before a byte of it is read, then parsed as a stream by
defusedxml (no DTD, no entity, no external reference: a billion laughs stops at its
``<!DOCTYPE``), each element dropped from the tree as soon as it has been read, so memory
stays bounded by the depth of the document, not its length. What cannot be read is one
line naming the file and why (:class:`ReportError`), never a traceback.

Each ``<testcase>`` (under ``<testsuite>``, ``<testsuites>``, nested as any runner nests
them) is a :class:`Case`: its class name, name, time, outcome and message, and the keys it
links: Xray's ``<property name="test_key" value="DEMO-6"/>``, and a Zephyr Scale key in
its name (``test_login_DEMO_T19`` is ``DEMO-T19``, as Zephyr Scale matches it).
"""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from pytest_tm_auth.core.errors import TmAuthError
from pytest_tm_auth.core.text import inert

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
_ROOTS = ("testsuites", "testsuite")
#: Secrets shorter than this are not looked for in a report (they would match by chance).
SECRET_SHORTEST = 6
_BLOCK = 1 << 20


class ReportError(TmAuthError):
    """A report that cannot be read, in one line naming the file and why."""


@dataclass(frozen=True)
class Case:
    """One ``<testcase>``. ``outcome``: ``passed``, ``failed``, ``error`` or ``skipped``."""

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
    for case in cases(path, secrets):
        counts[0] += 1
        counts[1] += case.test_key is not None
        counts[2] += case.zephyr_key is not None
    if not counts[0]:
        raise ReportError(f"the report {path} holds no <testcase>: nothing to publish")
    return Tally(*counts)


def cases(path: Path, secrets: Mapping[str, str] | None = None) -> Iterator[Case]:
    """Each testcase of the report at ``path``, as the stream reaches its end tag; one
    holding any of ``secrets`` (name -> value) in a text or an attribute is refused."""
    checked(path)
    wanted = {name: text for name, text in (secrets or {}).items() if len(text) >= SECRET_SHORTEST}
    try:
        with open(path, "rb") as file:
            yield from _read(path, file, wanted)
    except OSError as error:
        raise ReportError(f"cannot read the report {path}: {error.strerror}") from None


def _read(path: Path, file: BinaryIO, secrets: Mapping[str, str]) -> Iterator[Case]:
    open_elements: list[Element] = []
    found = _Found()
    count = 0
    try:
        for event, element in iterparse(file, events=("start", "end"), forbid_dtd=True):
            if event == "start":
                _opened(path, open_elements, element)
                continue
            open_elements.pop()
            if secrets:
                _refuse_secrets(path, element, secrets)
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


def _refuse_secrets(path: Path, element: Element, secrets: Mapping[str, str]) -> None:
    texts = [element.text or "", *element.attrib.values()]
    for name, secret in secrets.items():
        if any(secret in text for text in texts):
            raise ReportError(held(path, name))


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
            self.outcome = _OUTCOMES[tag]
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


def holding(path: Path, texts: Mapping[str, str]) -> str | None:
    """The name of the first of ``texts`` (name -> text) the report's bytes hold as
    written (a comment too, which the parser skips); ``None`` when they hold none. Read in
    blocks, so the file's size costs no memory."""
    needles = {
        text.encode("utf-8"): name for name, text in texts.items() if len(text) >= SECRET_SHORTEST
    }
    if not needles:
        return None
    overlap = max(map(len, needles)) - 1
    tail = b""
    with path.open("rb") as file:
        while block := file.read(_BLOCK):
            window = tail + block
            for needle, name in needles.items():
                if needle in window:
                    return name
            tail = window[-overlap:]
    return None
