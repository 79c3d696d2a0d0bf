"""``pytest --tm-auth-check``: the "Login" button.

Logs in to every configured provider, prints one table row each (provider, deployment,
URL, result, time, token expiry) and runs no tests. Exit status: 0 when every configured
provider logged in, 1 when one of them failed, 4 when no provider is configured at all.
Remembered tokens are not reused (the point is to try the credentials), but a fresh token
is remembered under ``--tm-auth-remember``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import pytest

from pytest_tm_auth.core.errors import AuthError, MissingCredentials, TmAuthError
from pytest_tm_auth.core.scrub import Scrubber
from pytest_tm_auth.core.token import sane_time, utc_time
from pytest_tm_auth.run.plugin_base import HooksOnly
from pytest_tm_auth.run.state import ProviderRun, soon_expiry

COLUMNS = ("provider", "deployment", "URL", "result", "time", "token expiry")
ALL_GOOD = pytest.ExitCode.OK
SOME_FAILED = pytest.ExitCode.TESTS_FAILED
NONE_CONFIGURED = pytest.ExitCode.USAGE_ERROR


@dataclass(frozen=True)
class Row:
    """One provider's line in the table, and the full message when it failed."""

    provider: str
    deployment: str = "-"
    url: str = "-"
    result: str = "not configured"
    seconds: float | None = None
    expiry: str = "-"
    problem: str = ""
    hint: str = ""
    configured: bool = False

    @property
    def ok(self) -> bool:
        return self.configured and not self.problem

    def cells(self) -> tuple[str, ...]:
        took = "-" if self.seconds is None else f"{self.seconds:.2f} s"
        return (self.provider, self.deployment, self.url, self.result, took, self.expiry)


def check(state: ProviderRun) -> Row:
    """Log in to one provider (asking a credentials hook first) and describe the result."""
    started = time.perf_counter()
    try:
        token = state.token()
    except MissingCredentials as missing:  # from the settings, or a credentials hook's own
        return Row(state.name, hint=str(missing))
    except AuthError as failure:
        status = f" (HTTP {failure.status})" if failure.status else ""
        return _failed(state, f"failed{status}", str(failure), started)
    except TmAuthError as failure:  # also a hook's unexpected error, wrapped by the state
        return _failed(state, "failed", str(failure), started)
    target = state.target
    return Row(
        state.name,
        target.deployment if target else "-",
        target.url if target else "-",
        "ok",
        time.perf_counter() - started,
        _expiry(token.expires_at or soon_expiry(state.provider, state.values)),
        configured=True,
    )


def _failed(state: ProviderRun, result: str, problem: str, started: float) -> Row:
    target = state.target
    return Row(
        state.name,
        target.deployment if target else "-",
        target.url if target else "-",
        result,
        time.perf_counter() - started,
        # A credential that expired is often why the login failed: its expiry says so.
        _expiry(soon_expiry(state.provider, state.values)),
        problem=problem,
        configured=True,
    )


def _expiry(expires_at: float | None) -> str:
    if expires_at is None or not sane_time(expires_at):
        return "-"
    return f"expired {utc_time(expires_at)}" if expires_at <= time.time() else utc_time(expires_at)


def exit_status(rows: list[Row]) -> pytest.ExitCode:
    if not any(row.configured for row in rows):
        return NONE_CONFIGURED
    return ALL_GOOD if all(row.ok for row in rows if row.configured) else SOME_FAILED


def table(rows: list[Row]) -> list[str]:
    """The rows as aligned text, header first."""
    lines = [COLUMNS, *(row.cells() for row in rows)]
    widths = [max(len(line[index]) for line in lines) for index in range(len(COLUMNS))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]


#: Publishing's link audit (``results/audit.py``), registered beside the check when Xray or
#: Zephyr Scale publishing is on: then pytest collects the selected tests (none of them runs).
LINK_AUDIT = "tm_auth_link_audit"


class LoginCheck(HooksOnly):
    """Registered instead of running tests: collect nothing, log in, print, set the status."""

    def __init__(self, states: Mapping[str, ProviderRun], scrubber: Scrubber) -> None:
        self._states = states
        self._scrub = scrubber.scrub
        self.exitstatus: pytest.ExitCode | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> bool | None:
        if session.config.pluginmanager.has_plugin(LINK_AUDIT):
            return None  # publishing's link audit reads the selected tests' markers
        return True  # no test module is imported

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        rows = [check(state) for state in self._states.values()]
        self.exitstatus = exit_status(rows)
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            self._print(reporter, rows)
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.exitstatus is not None:
            session.exitstatus = self.exitstatus

    def _print(self, reporter: pytest.TerminalReporter, rows: list[Row]) -> None:
        reporter.write_sep("=", "tm-auth check")
        for line in table(rows):
            reporter.write_line(self._scrub(line))
        for row in rows:
            if row.problem:
                reporter.write_line(self._scrub(f"{row.provider}: {row.problem}"), red=True)
        good = sum(row.ok for row in rows)
        configured = sum(row.configured for row in rows)
        if not configured:
            for row in rows:
                reporter.write_line(self._scrub(f"{row.provider}: {row.hint}"))
            summary = "no provider is configured: set the credentials of at least one"
        else:
            summary = f"{good} of {configured} configured provider{'s' * (configured != 1)} "
            summary += "logged in"
        reporter.write_line(f"tm-auth check: {summary}", bold=True)
