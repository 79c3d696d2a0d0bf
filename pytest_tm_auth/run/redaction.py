"""Where pytest makes text, hide the run's known secrets: reports, exceptions, warnings, logs.

One object per run, registered as a plugin as soon as a test could read a secret (one is
set in the environment, an ini file or a ``.env`` file), else when a provider is first used
(a credentials hook's secrets). Its hooks run where each text is born: a report as it is
made (innermost wrapper, before any reporter reads it), an exception before a reporter
formats it, a warning as it is recorded, a log record before a handler writes it.
"""

from __future__ import annotations

import warnings
from collections.abc import Generator

import pytest

from pytest_tm_auth import _compat
from pytest_tm_auth.core.scrub import Scrubber
from pytest_tm_auth.core.secret import Secret
from pytest_tm_auth.run.log_filter import ScrubbingFilter
from pytest_tm_auth.run.scrubbed import scrub_exception, scrub_inside, scrub_report


class Redaction:
    """Scrubs what pytest makes of each test and collector, before anyone reads it."""

    def __init__(self, scrubber: Scrubber) -> None:
        self.scrubber = scrubber
        self._watching_logs = False

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Innermost: the exception before the report is made of it, the report before any
        other wrapper (allure-pytest, pytest-csv, pytest-json-report) reads it."""
        if call.excinfo is not None and self.scrubber:
            scrub_exception(call.excinfo.value, self.scrubber.scrub)
        report = yield
        if _quiet(report) or not self.scrubber:
            return report  # a quiet pass, as most are (3 calls per test): nothing to read
        scrub_report(report, self.scrubber)
        _compat.scrub_report_sections(item, self.scrubber.scrub)
        return report

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        """A collection error (an import error, a conftest's), before it is shown."""
        report = yield
        if report.longrepr is not None and self.scrubber:
            scrub_report(report, self.scrubber)
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Before the terminal, ``--junitxml`` or pytest-html read a report: what a worker
        could not know (a controller's secrets) and what was added after it was made
        (pytest-html's ``extras``)."""
        extras = report.__dict__.get("extras")
        if _quiet(report) and not extras:
            return
        scrub_report(report, self.scrubber)
        if extras:
            scrub_inside(extras, self.scrubber.scrub)

    @pytest.hookimpl(tryfirst=True)
    def pytest_warning_recorded(self, warning_message: warnings.WarningMessage) -> None:
        """Before the terminal summary keeps the warning's text."""
        text = str(warning_message.message)
        scrubbed = self.scrubber.scrub(text, pieces=True)
        if scrubbed != text:
            # pytest formats the message with str(): plain text is enough, and keeps none
            # of the original arguments that held the secret.
            warning_message.message = scrubbed

    @pytest.hookimpl(tryfirst=True)
    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """``pytest.exit(reason)`` and Ctrl-C, before the terminal keeps their text."""
        scrub_exception(excinfo.value, self.scrubber.scrub)

    @pytest.hookimpl(tryfirst=True)
    def pytest_internalerror(self, excrepr: object) -> None:
        """An INTERNALERROR, before the terminal prints it line by line."""
        scrub_inside(excrepr, lambda text: self.scrubber.scrub(text, pieces=True))

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


def _quiet(report: pytest.TestReport) -> bool:
    """Nothing to read: no failure or skip, no captured output, no property, no xfail."""
    return (
        report.longrepr is None
        and not report.sections
        and not report.user_properties
        and "wasxfail" not in report.__dict__
    )
