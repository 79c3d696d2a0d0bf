"""Where pytest makes text, hide the run's known secrets: reports, exceptions, warnings, logs.

One object per run, registered as a plugin as soon as a test could read a secret (one is
set in the environment, an ini file or a ``.env`` file), else when a provider is first used
(a credentials hook's secrets). Its hooks run where each text is born: a report before
anyone reads it, an exception before a reporter formats it, a warning as it is recorded, a
log record before a handler writes it.

A report is read first when it is logged (the terminal, ``--junitxml``, pytest-html, xdist),
unless another plugin wraps ``pytest_runtest_makereport`` and reads it there (allure-pytest,
pytest-json-report, pytest-csv, a conftest's wrapper): then :class:`MadeReports` scrubs it
as it is made too, innermost. Without such a wrapper each phase of each test costs one
plain hook call, not a wrapper's generator as well.

Test ids that hold a known secret show ``***`` instead, from the moment they are made
(:class:`IdRedaction`); parameter values that hold one are shown by a hidden repr. A node
id reaches the terminal, ``--collect-only``, live logs, junit, every reporter and the cache
folder (``lastfailed``, ``nodeids``): hiding the secret where the id is generated is the
only place that covers them all.

``--junitxml``'s own values are scrubbed before its file is written (:class:`JunitRedaction`):
``record_property`` values travel in the report, scrubbed as it is made, but suite
properties (``record_testsuite_property``) and extra attributes (``record_xml_attribute``)
go straight into the junit plugin's objects.

What reaches the terminal past every hook is scrubbed as it is written
(:func:`scrub_hung_test_output`). pytest-timeout's thread method (``--timeout-method
thread``, its default where there is no SIGALRM) ends a hung test from a timer thread: it
prints the test's captured output and every thread's stack through pytest's terminal
writer, then ends the process with ``os._exit``. No report is made and no hook runs, so the
text is scrubbed in the terminal writer's stream. Only where pytest-timeout is loaded.
"""

from __future__ import annotations

import warnings
from collections.abc import Generator
from typing import TextIO, cast

import pytest

from pytest_tm_auth import _compat
from pytest_tm_auth.core.scrub import Scrubber
from pytest_tm_auth.core.values import Secret
from pytest_tm_auth.run.plugin_base import HooksOnly
from pytest_tm_auth.run.streams import ScrubbingFilter, ScrubbingStream

#: Registered under this name when other plugins read reports as they are made.
MADE_REPORTS_PLUGIN = "tm_auth_redaction_made"
#: pytest-timeout's name as a plugin (its entry point); ``-p no:timeout`` unloads it.
TIMEOUT_PLUGIN = "timeout"


class Redaction(HooksOnly):
    """Scrubs what pytest makes of each test and collector, before anyone reads it."""

    def __init__(self, scrubber: Scrubber) -> None:
        self.scrubber = scrubber
        self._watching_logs = False
        self._watching_terminal = False

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        """A collection error (an import error, a conftest's), before it is shown."""
        report = yield
        if report.longrepr is not None:
            from pytest_tm_auth.run.redaction.scrubbed import scrub_report

            scrub_report(report, self.scrubber)
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Each report, before the terminal, ``--junitxml``, pytest-html or xdist reads it:
        also what was added after it was made (the xfail reason, pytest-html's ``extras``)
        and, in an xdist controller, what a worker could not know (a controller's secrets)."""
        # _quiet(report), written out: a call costs as much again, three times a test.
        attributes = report.__dict__
        extras = attributes.get("extras")
        if (
            not extras
            and report.longrepr is None
            and not report.sections
            and not report.user_properties
            and "wasxfail" not in attributes
            and "context" not in attributes
        ):
            return
        from pytest_tm_auth.run.redaction.scrubbed import scrub_inside, scrub_report

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
        from pytest_tm_auth.run.redaction.scrubbed import scrub_exception

        scrub_exception(excinfo.value, self.scrubber.scrub)

    @pytest.hookimpl(tryfirst=True)
    def pytest_internalerror(self, excrepr: object) -> None:
        """An INTERNALERROR, before the terminal prints it line by line."""
        from pytest_tm_auth.run.redaction.scrubbed import scrub_inside

        scrub_inside(excrepr, lambda text: self.scrubber.scrub(text, pieces=True))

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.watch_logs(session.config)
        self.watch_hung_tests(session.config)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Every conftest is loaded now, and every reporter has registered its wrappers."""
        scrub_made_reports(session.config, self.scrubber)

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

    def watch_hung_tests(self, config: pytest.Config) -> None:
        """Scrub what pytest-timeout's thread method prints of a hung test past every hook
        (see :func:`scrub_hung_test_output`). Like :meth:`watch_logs`, called
        again once the terminal reporter is there."""
        if not self._watching_terminal and config.pluginmanager.has_plugin(TIMEOUT_PLUGIN):
            self._watching_terminal = scrub_hung_test_output(config, self.scrubber)

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


#: ``pytest_runtest_makereport`` wrappers that read no text of a report: pytest's own
#: (``skipping`` sets the xfail reason, ``tmpdir`` reads the outcome), pytest-html's
#: (joins ``extras``, read when the report is logged) and pytest-rerunfailures' (keeps each
#: phase's outcome, and the exception its ``--only-rerun`` patterns match; writes nothing).
READ_NO_TEXT = frozenset({"skipping", "tmpdir", "html", "rerunfailures", MADE_REPORTS_PLUGIN})


def scrub_made_reports(config: pytest.Config, scrubber: Scrubber) -> None:
    """Register :class:`MadeReports` once another plugin's wrapper reads reports as made."""
    manager = config.pluginmanager
    if manager.has_plugin(MADE_REPORTS_PLUGIN):
        return
    hook = config.hook.pytest_runtest_makereport
    if any(
        (impl.wrapper or impl.hookwrapper) and impl.plugin_name not in READ_NO_TEXT
        for impl in hook.get_hookimpls()
    ):
        manager.register(MadeReports(scrubber), MADE_REPORTS_PLUGIN)


class MadeReports(HooksOnly):
    """Scrubs each test report as it is made, for the wrappers that read it there."""

    def __init__(self, scrubber: Scrubber) -> None:
        self.scrubber = scrubber

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Innermost: the exception before the report is made of it, the report before any
        other wrapper (allure-pytest, pytest-csv, pytest-json-report) reads it."""
        if call.excinfo is not None:
            from pytest_tm_auth.run.redaction.scrubbed import scrub_exception

            scrub_exception(call.excinfo.value, self.scrubber.scrub)
        report = yield
        if _quiet(report):
            return report  # a quiet pass, as most are (3 calls per test): nothing to read
        from pytest_tm_auth.run.redaction.scrubbed import scrub_report

        scrub_report(report, self.scrubber)
        _compat.scrub_report_sections(item, self.scrubber.scrub)
        return report


def _quiet(report: pytest.TestReport) -> bool:
    """Nothing to read: no failure or skip, no captured output, no property, no xfail, and
    not a subtest's (whose name, its ``msg`` and arguments, is shown even when it passes).

    Asked at every phase of every test: five attribute reads, the cheapest form.
    :meth:`Redaction.pytest_runtest_logreport` asks the same, written out.
    """
    return (
        report.longrepr is None
        and not report.sections
        and not report.user_properties
        and "wasxfail" not in report.__dict__
        and "context" not in report.__dict__
    )


class IdRedaction(HooksOnly):
    """Masks secrets in parametrize ids: made from values, and given by the test."""

    def __init__(self, scrubber: Scrubber) -> None:
        self.scrubber = scrubber

    @pytest.hookimpl(tryfirst=True)
    def pytest_make_parametrize_id(self, val: object) -> str | None:
        """An id pytest would make from a value holding a secret; ``None`` leaves the rest."""
        if isinstance(val, str) and self.scrubber:
            scrubbed = self.scrubber.scrub(val)
            if scrubbed != val:
                return scrubbed
        return None

    @pytest.hookimpl(trylast=True)
    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Ids a test gives itself (``ids=[...]``, ``pytest.param(id=...)``), once made, and
        values whose repr ``--setup-show``, ``-l`` or a reporter would show.

        Last of the plain hooks, so after pytest's ``parametrize`` marks, the test module's
        and every conftest's ``pytest_generate_tests``; not a wrapper, which would cost every
        test function twice as much at collection for the few that are parametrized."""
        _compat.mask_parametrize(metafunc, self.scrubber.scrub)


class JunitRedaction(HooksOnly):
    """Scrubs the junit plugin's suite properties and test case attributes."""

    def __init__(self, scrubber: Scrubber, config: pytest.Config) -> None:
        self.scrubber = scrubber
        self._config = config

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self) -> None:
        """Before junit writes a test case out (at its teardown report)."""
        _, cases = _compat.junit_texts(self._config)
        for attributes in cases:
            for name, value in attributes.items():
                attributes[name] = self.scrubber.scrub(value)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        """Before junit writes the suite's properties."""
        properties, _ = _compat.junit_texts(self._config)
        properties[:] = [(name, self.scrubber.scrub(value)) for name, value in properties]


def scrub_hung_test_output(config: pytest.Config, scrubber: Scrubber) -> bool:
    """Scrub all the terminal writer writes from now on; False while there is no terminal
    reporter yet (before the end of configure) or none at all."""

    def scrubbing(stream: TextIO) -> TextIO:
        if isinstance(stream, ScrubbingStream):
            return stream
        return cast(TextIO, ScrubbingStream(stream, scrubber))

    return _compat.replace_terminal_stream(config, scrubbing)
