"""A logging filter that hides known secrets in records before any handler writes them."""

from __future__ import annotations

import logging

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
