"""Where pytest shows text, hide the run's known secrets: reports, warnings, logs, diffs.

One object per run, registered as a plugin as soon as a test could read a secret (one is
set in the environment, an ini file or a ``.env`` file), else when a provider is first used
(a credentials hook's secrets): it holds the run's :class:`~pytest_tm_auth.scrub.Scrubber`,
which hooks such as ``pytest_warning_recorded`` could not reach otherwise (they receive no
config).
"""

from __future__ import annotations

import logging
import warnings

import pytest

from pytest_tm_auth import _compat
from pytest_tm_auth.core.scrub import Scrubber
from pytest_tm_auth.core.secret import Secret


class Redaction:
    """Scrubs what pytest prints or writes of each test, before anyone reads it."""

    def __init__(self, scrubber: Scrubber) -> None:
        self.scrubber = scrubber
        self._watching_logs = False

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Before the terminal, ``--junitxml`` or an xdist worker's channel reads the report.

        Also covers values a test copied into plain strings, printed or logged.
        """
        if (
            report.longrepr is None
            and not report.sections
            and not report.user_properties
            and "wasxfail" not in report.__dict__
        ):
            return  # a quiet pass, as most are: nothing to read (called 3 times per test)
        scrub = self.scrubber.scrub
        longrepr = report.longrepr
        if isinstance(longrepr, tuple):
            path, line, reason = longrepr
            report.longrepr = (path, line, scrub(reason))
        elif longrepr is not None:
            text = str(longrepr)
            scrubbed = scrub(text, pieces=True)
            if scrubbed != text:
                report.longrepr = scrubbed  # plain text: the traceback objects hold the secret
        report.sections = [(title, scrub(content)) for title, content in report.sections]
        if isinstance(getattr(report, "wasxfail", None), str):  # the xfail reason
            report.wasxfail = scrub(report.wasxfail)
        report.user_properties = [  # record_property: --junitxml writes str(value)
            (name, self._scrubbed_value(value)) for name, value in report.user_properties
        ]

    def _scrubbed_value(self, value: object) -> object:
        text = str(value)
        scrubbed = self.scrubber.scrub(text)
        return value if scrubbed == text else scrubbed

    @pytest.hookimpl(tryfirst=True)
    def pytest_warning_recorded(self, warning_message: warnings.WarningMessage) -> None:
        """Before the terminal summary keeps the warning's text."""
        text = str(warning_message.message)
        scrubbed = self.scrubber.scrub(text, pieces=True)
        if scrubbed != text:
            # pytest formats the message with str(): plain text is enough, and keeps none
            # of the original arguments that held the secret.
            warning_message.message = scrubbed

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.watch_logs(session.config)

    def watch_logs(self, config: pytest.Config) -> None:
        """Scrub log records in pytest's own handlers: live logs and log files skip reports.

        The handlers appear at the end of configure: called earlier this does nothing, and
        ``pytest_sessionstart`` calls it again.
        """
        if self._watching_logs:
            return
        handlers = _compat.log_handlers(config)
        if handlers:
            self._watching_logs = True
        for handler in handlers:
            handler.addFilter(ScrubbingFilter(self.scrubber))

    def pytest_assertrepr_compare(self, op: str, left: object, right: object) -> list[str] | None:
        """No diff when a side is or contains a secret: the diff would print its value."""
        try:
            shown = [repr(side) for side in (left, right)]
        except Exception:  # a broken __repr__: leave the explanation to pytest, which copes
            return None
        hidden = [self.scrubber.scrub(text) for text in shown]
        if hidden == shown and not any(isinstance(side, Secret) for side in (left, right)):
            return None
        return [
            f"{hidden[0]} {op} {hidden[1]}",
            "tm-auth: no diff shown, it would reveal a secret",
        ]


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
