"""Uploaded files, read as the services would but never trusted: forms, zips and JUnit XML.

Every reader is bounded. A multipart form is parsed by the standard library's ``email``
package from a body the handler already capped; a zip is checked by the sizes it declares
and then by the bytes it really inflates to, read a block at a time, so a zip bomb costs a
block, not its claim; JUnit XML goes through expat as a stream, with no tree kept, and any
``DOCTYPE`` (so any entity, the billion laughs among them) is refused before it is expanded.
Every refusal is :class:`BadUpload`, whose message is one line that is safe to send back.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from typing import Any
from xml.parsers import expat

from pytest_tm_auth.sandbox.messages import Request

__all__ = [
    "MAX_CASES",
    "MAX_INFLATED",
    "MAX_MEMBERS",
    "BadUpload",
    "JUnitCase",
    "Part",
    "form_parts",
    "junit_cases",
    "zip_members",
]

MAX_INFLATED = 64 << 20  # what a whole zip may inflate to, all members together
MAX_MEMBERS = 1000
MAX_CASES = 200_000  # testcases one JUnit report may hold
_BLOCK = 1 << 16


class BadUpload(ValueError):
    """An upload the stand-in refuses; the message is one line, safe to send back."""


@dataclass(frozen=True)
class Part:
    """One part of a multipart form."""

    filename: str | None
    content_type: str
    data: bytes = field(repr=False)


def form_parts(request: Request) -> dict[str, Part]:
    """The parts of a ``multipart/form-data`` body by name (the first of each name)."""
    if request.media_type != "multipart/form-data":
        raise BadUpload("The request must be multipart/form-data.")
    header = f"Content-Type: {request.header('content-type')}\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=policy.HTTP).parsebytes(header + request.body)
    if not message.is_multipart() or message.defects:
        raise BadUpload("The multipart body cannot be read.")
    parts: dict[str, Part] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes) and name not in parts:
            parts[name] = Part(part.get_filename(), part.get_content_type(), payload)
    return parts


def zip_members(data: bytes, limit: int = MAX_INFLATED) -> Iterator[tuple[str, bytes]]:
    """Each file in the zip ``data`` as ``(name, bytes)``, refusing a zip that would inflate
    past ``limit`` in all, whatever its headers claim."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise BadUpload("The file is not a valid zip archive.") from None
    too_big = f"The zip archive inflates to more than {limit >> 20} MB; refused."
    if len(members) > MAX_MEMBERS or sum(info.file_size for info in members) > limit:
        raise BadUpload(too_big)
    spent = 0
    for info in members:
        chunks = []
        try:
            with archive.open(info) as member:
                while block := member.read(_BLOCK):
                    spent += len(block)
                    if spent > limit:
                        raise BadUpload(too_big)
                    chunks.append(block)
        except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError):
            raise BadUpload("The file is not a valid zip archive.") from None
        yield info.filename, b"".join(chunks)


@dataclass
class JUnitCase:
    """One ``<testcase>``: ``outcome`` is ``passed``, ``failed``, ``error`` or ``skipped``."""

    name: str
    classname: str
    time: float | None
    outcome: str = "passed"
    message: str | None = None
    properties: dict[str, str] = field(default_factory=dict)


_OUTCOMES = {"failure": "failed", "error": "error", "skipped": "skipped"}


class _JUnitReader:
    """expat callbacks that keep the testcases and nothing else."""

    def __init__(self) -> None:
        self.cases: list[JUnitCase] = []
        self._open: JUnitCase | None = None
        self.parser = expat.ParserCreate()
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._doctype
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end

    def _doctype(self, *args: Any) -> None:
        raise BadUpload("The XML declares a DOCTYPE or entities; refused.")

    def _start(self, tag: str, attributes: dict[str, str]) -> None:
        case = self._open
        if tag == "testcase":
            if len(self.cases) >= MAX_CASES:
                raise BadUpload(f"The report holds more than {MAX_CASES} testcases; refused.")
            seconds = attributes.get("time")
            try:
                time = float(seconds) if seconds else None
            except ValueError:
                time = None
            self._open = JUnitCase(
                attributes.get("name", ""), attributes.get("classname", ""), time
            )
        elif case is not None and tag in _OUTCOMES and case.outcome == "passed":
            case.outcome = _OUTCOMES[tag]
            case.message = (attributes.get("message") or "")[:1000] or None
        elif case is not None and tag == "property" and len(case.properties) < 100:
            case.properties[attributes.get("name", "")[:100]] = attributes.get("value", "")[:1000]

    def _end(self, tag: str) -> None:
        if tag == "testcase" and self._open is not None:
            self.cases.append(self._open)
            self._open = None


def junit_cases(data: bytes) -> list[JUnitCase]:
    """The testcases of a JUnit XML report, read as a stream, without DTDs or entities."""
    reader = _JUnitReader()
    try:
        for start in range(0, len(data), _BLOCK):
            reader.parser.Parse(data[start : start + _BLOCK], False)
        reader.parser.Parse(b"", True)
    except expat.ExpatError as bad:
        raise BadUpload(
            f"The file is not well-formed XML: {expat.ErrorString(bad.code)}."
        ) from None
    return reader.cases
