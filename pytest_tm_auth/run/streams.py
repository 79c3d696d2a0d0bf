"""A run's own output scrubbed: log records before any handler writes them, and the
standard streams while a login runs.

Records written live (``--log-cli-level``) or to ``--log-file``, and what ``http.client``'s
debug prints, pass through no report that a hook could scrub: they are scrubbed here, as
they are written.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from pytest_tm_auth.core.scrub import Scrubber


class ScrubbingFilter(logging.Filter):
    """Hides known secrets in log records before a handler writes them anywhere.

    Set on pytest's log handlers (captured, live and ``--log-file``), it covers records
    that never pass through a test report. It changes the record, so every later handler
    sees the scrubbed text too; it never drops a record and never raises.
    """

    def __init__(self, scrubber: Scrubber) -> None:
        super().__init__()
        self.scrubber = scrubber

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.scrubber:
            return True
        try:
            message = record.getMessage()
            scrubbed = self.scrubber.scrub(message)
            if scrubbed != message:
                record.msg, record.args = scrubbed, None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = self.scrubber.scrub(record.exc_text)
        except Exception:  # a malformed record: logging reports it itself, later
            pass
        return True


class ScrubbingStream:
    """A text stream that hides known secrets in what is written, then writes it on."""

    def __init__(self, stream: TextIO, scrubber: Scrubber) -> None:
        self._stream = stream
        self._scrubber = scrubber

    def write(self, text: str) -> int:
        self._stream.write(self._scrubber.scrub(text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def scrubbed_output(scrubber: Scrubber) -> Iterator[None]:
    """Within: stdout and stderr scrubbed; and, from then on, the root logger's handlers."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(known, ScrubbingFilter) for known in handler.filters):
            handler.addFilter(ScrubbingFilter(scrubber))
    out, err = sys.stdout, sys.stderr
    sys.stdout = ScrubbingStream(out, scrubber)
    sys.stderr = ScrubbingStream(err, scrubber)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err
