"""What a test adds to its own result through the ``tm_result`` fixture: evidence files and
comment lines, scrubbed and capped where they are made, in the process that runs the test.

Nothing a test hands in fails it for being too much: what is over a cap is dropped and said
in the result (``Result.dropped``), which the summary reports. Only a wrong type is an error.
"""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest

from pytest_tm_auth.results.model import (
    COMMENT_LIMIT,
    EVIDENCE_BYTES_PER_TEST,
    EVIDENCE_FILES_PER_TEST,
    FILENAME_LIMIT,
    Evidence,
    bounded,
)

if TYPE_CHECKING:
    from pytest_tm_auth.core.scrub import Scrubber

#: Where a test's notes wait, on its item, for the report of its teardown.
NOTES = pytest.StashKey["ResultNotes"]()


class ResultNotes:
    """The ``tm_result`` fixture: ``attach(name, data)`` and ``comment(text)``."""

    def __init__(
        self,
        scrub: Callable[[str], str],
        pieces: Callable[[str], str] | None = None,
        held_in: Callable[[bytes], bool] | None = None,
    ) -> None:
        self._scrub = scrub
        #: For names and comments: also hides a secret's cut-off pieces (``s[:30]``).
        self._pieces = pieces or scrub
        #: For bytes that are not text: whether they hold a secret, which drops them.
        self._held_in = held_in or (lambda data: False)
        self.comments: list[str] = []
        self.evidence: list[Evidence] = []
        self.dropped: list[str] = []
        self._bytes = 0
        self._comment_chars = 0

    @classmethod
    def scrubbed_by(cls, scrubber: Scrubber) -> ResultNotes:
        """Notes scrubbed by the run's scrubber; names and comments for cut pieces too."""
        return cls(scrubber.scrub, functools.partial(scrubber.scrub, pieces=True), scrubber.held_in)

    def attach(self, name: str, data: bytes | str, content_type: str | None = None) -> None:
        """Attach ``data`` as the evidence file ``name`` (text is scrubbed, UTF-8 encoded).

        The content type is guessed from the name when not given. Over the per-test caps the
        file is dropped, and the result says so; the test goes on.
        """
        if not isinstance(name, str) or not name.strip():
            raise TypeError(f"tm_result.attach: name must be a non-empty str, not {name!r}")
        if not isinstance(data, (bytes, bytearray, str)):
            raise TypeError(
                f"tm_result.attach: data must be bytes or str, not {type(data).__name__}"
            )
        if content_type is not None and not isinstance(content_type, str):
            raise TypeError("tm_result.attach: content_type must be a str or None")
        filename = bounded(self._pieces(name.strip()), FILENAME_LIMIT)
        kind = content_type or guess_type(filename)
        body, scrubbed = scrubbed_bytes(data, self._scrub)
        if len(self.evidence) >= EVIDENCE_FILES_PER_TEST:
            self.dropped.append(
                f"evidence {filename!r} dropped: over {EVIDENCE_FILES_PER_TEST} files per test"
            )
            return
        if self._bytes + len(body) > EVIDENCE_BYTES_PER_TEST:
            self.dropped.append(
                f"evidence {filename!r} ({len(body)} bytes) dropped: over "
                f"{EVIDENCE_BYTES_PER_TEST} bytes per test"
            )
            return
        if not scrubbed and self._held_in(body):
            self.dropped.append(
                f"evidence {filename!r} dropped: it holds a secret of the run, and binary "
                "data cannot be scrubbed: attach it as text, or without the secret"
            )
            return
        self._bytes += len(body)
        encoded = base64.b64encode(body).decode("ascii")
        self.evidence.append(Evidence(filename, kind, encoded, len(body)))

    def comment(self, text: str) -> None:
        """Add ``text`` to the result's comment (scrubbed; cut past the comment's cap)."""
        if not isinstance(text, str):
            raise TypeError(f"tm_result.comment: text must be a str, not {type(text).__name__}")
        room = COMMENT_LIMIT - self._comment_chars
        if room <= 0:
            self.dropped.append("a tm_result comment dropped: the comment is full")
            return
        kept = bounded(self._pieces(text), room)
        self._comment_chars += len(kept) + 1
        self.comments.append(kept)

    def to_data(self) -> dict[str, Any]:
        """Plain data for the report (xdist carries it to the controller as JSON)."""
        return {
            "comments": list(self.comments),
            "evidence": [item.to_data() for item in self.evidence],
            "dropped": list(self.dropped),
        }

    def __repr__(self) -> str:
        return f"<tm_result evidence={len(self.evidence)} comments={len(self.comments)}>"


def guess_type(filename: str) -> str:
    """The content type a file of this name has, ``application/octet-stream`` if unknown."""
    import mimetypes

    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def scrubbed_bytes(
    data: bytes | bytearray | str, scrub: Callable[[str], str]
) -> tuple[bytes, bool]:
    """``data`` as bytes, and whether it is text, scrubbed: a ``str``, or bytes that read as
    UTF-8 without a NUL, whatever the file's name or type says (a ``.log``, a ``.har`` are
    text too). Other bytes are binary: they cannot be scrubbed, and are kept as they are."""
    if isinstance(data, str):
        return scrub(data).encode("utf-8"), True
    data = bytes(data)
    if b"\0" in data:
        return data, False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data, False
    return scrub(text).encode("utf-8"), True
