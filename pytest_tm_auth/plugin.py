"""pytest wiring: options, configuration, header, fixtures and summary.

Kept free of heavy imports (requests, the stand-in): installing the plugin must not slow
down runs that never use it.
"""

from __future__ import annotations

import functools
import logging
import warnings
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from pytest_tm_auth import xdist
from pytest_tm_auth.catalog import PLUGIN_NAME, Catalog
from pytest_tm_auth.check import LoginCheck
from pytest_tm_auth.errors import (
    AuthError,
    ConfigError,
    InsecureTransportWarning,
    SecretInIniWarning,
    TokenStoreWarning,
)
from pytest_tm_auth.general import (
    ALLOW_HTTP,
    CA_BUNDLE,
    CHECK,
    GENERAL_SETTINGS,
    INSECURE,
    ON_MISSING,
    REMEMBER,
    RESET,
    RETRIES,
    SANDBOX,
    TIMEOUT,
)
from pytest_tm_auth.registry import ProviderState, TmAuth
from pytest_tm_auth.report import header_line, summary_line
from pytest_tm_auth.scrub import Scrubber, ScrubbingFilter
from pytest_tm_auth.secret import Secret
from pytest_tm_auth.settings import Source, Values
from pytest_tm_auth.sources import ini_text, read_settings
from pytest_tm_auth.urls import checked_url

if TYPE_CHECKING:
    import requests

    from pytest_tm_auth.http import Transport
    from pytest_tm_auth.provider import Login, Provider
    from pytest_tm_auth.token import Token


@dataclass
class Run:
    """Everything the plugin knows for one pytest run, kept in ``config.stash``."""

    states: dict[str, ProviderState]
    tm_auth: TmAuth
    scrubber: Scrubber
    hooked_credentials: bool = False


RUN = pytest.StashKey[Run]()


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_tm_auth import hooks

    pluginmanager.add_hookspecs(hooks)


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    catalog = Catalog(parser)
    catalog.add_settings(GENERAL_SETTINGS)
    pluginmanager.register(catalog, PLUGIN_NAME)
    pluginmanager.hook.pytest_tm_auth_add_providers.call_historic(
        result_callback=catalog.add_providers, kwargs={}
    )


def pytest_tm_auth_add_providers() -> Iterable[Provider]:
    from pytest_tm_auth.jira import Jira
    from pytest_tm_auth.xray import Xray
    from pytest_tm_auth.zephyr import Zephyr

    return [Xray(), Zephyr(), Jira()]


@pytest.hookimpl(trylast=True)
def pytest_tm_auth_authenticate(login: Login) -> Token | None:
    return login.provider.authenticate(login)


def pytest_configure(config: pytest.Config) -> None:
    catalog = config.pluginmanager.get_plugin(PLUGIN_NAME)
    assert isinstance(catalog, Catalog)
    catalog.closed = True
    try:
        values = read_settings(config, catalog.settings.values())
        if values.flag(SANDBOX.name):
            values = _start_sandbox(config, values)
        _check_transport(values)
        scrubber = Scrubber()
        scrubber.add(*values.secrets())
        transport = _transport_factory(values)
        refusals: dict[str, AuthError] = {}
        states = {
            name: ProviderState(provider, values, config, transport, scrubber, refusals=refusals)
            for name, provider in catalog.providers.items()
        }
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    _warn_about(config, values)
    on_missing = values.text(ON_MISSING.name) or "skip"
    hooked = bool(config.hook.pytest_tm_auth_credentials.get_hookimpls())
    config.pluginmanager.register(WarningScrubber(scrubber), WarningScrubber.NAME)
    config.stash[RUN] = Run(states, TmAuth(states, on_missing, scrubber), scrubber, hooked)
    _wire_modes(config, values, states, scrubber)


def _wire_modes(
    config: pytest.Config, values: Values, states: dict[str, ProviderState], scrubber: Scrubber
) -> None:
    """Remembered tokens, xdist sharing and ``--tm-auth-check``, each only when in use."""
    worker = xdist.is_worker(config)
    check = values.flag(CHECK.name) and not worker
    if values.flag(REMEMBER.name) or values.flag(RESET.name):
        _attach_memory(config, values, states, reset=values.flag(RESET.name) and not worker)
    if worker:
        xdist.adopt(config, states)
        config.pluginmanager.register(xdist.WorkerReport(config, states))
    elif config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(xdist.SharedLogin(states, values), xdist.SharedLogin.NAME)
    if check:
        if hasattr(config.option, "dist"):
            config.option.dist = "no"  # before xdist's trylast configure: no workers to start
        config.pluginmanager.register(LoginCheck(states, scrubber), LoginCheck.NAME)


def _attach_memory(
    config: pytest.Config, values: Values, states: dict[str, ProviderState], *, reset: bool
) -> None:
    from pytest_tm_auth.store import TokenMemory, token_key

    def warn(text: str) -> None:
        config.issue_config_time_warning(TokenStoreWarning(f"tm-auth: {text}"), stacklevel=2)

    remember = values.flag(REMEMBER.name)
    # --tm-auth-check tries the credentials: it logs in even when a token is remembered.
    reuse = remember and not reset and not values.flag(CHECK.name)
    memory = TokenMemory(warn, reuse=reuse, remember=remember)
    if reset:
        memory.forget(
            token_key(state.provider, state.target, state.values)
            for state in states.values()
            if state.target is not None
        )
    for state in states.values():
        state.memory = memory


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is not None:
        for state in run.states.values():
            state.close()


def _start_sandbox(config: pytest.Config, values: Values) -> Values:
    shared = xdist.shared_sandbox(config)
    if shared is not None:  # an xdist worker: use the controller's stand-in and its tokens
        return values.overridden(shared, Source("sandbox", "--tm-auth-sandbox"))

    from pytest_tm_auth.sandbox import Sandbox

    sandbox = Sandbox().start()
    config.add_cleanup(sandbox.stop)
    # Only the settings this run declares: the stand-in also serves providers it may not add.
    declared = {name: text for name, text in sandbox.settings("cloud").items() if name in values}
    return values.overridden(declared, Source("sandbox", "--tm-auth-sandbox"))


def _check_transport(values: Values) -> None:
    # Every URL setting, so that a typo stops the run even for a provider no test uses.
    allow_http = values.flag(ALLOW_HTTP.name)
    for item in values.resolved.values():
        if item.setting.url and isinstance(item.value, str) and item.value:
            checked_url(item.value, values.describe(item.setting.name), allow_http=allow_http)
    bundle = values.text(CA_BUNDLE.name)
    if bundle:
        from pathlib import Path

        if not Path(bundle).is_file():
            raise ConfigError(
                f"CA bundle {bundle!r} in {values.describe(CA_BUNDLE.name)} does not exist"
            )


def _transport_factory(values: Values) -> Callable[[], Transport]:
    """Build the transport on first use, so that requests is imported only when needed."""

    @functools.cache
    def transport() -> Transport:
        from pytest_tm_auth.http import Transport

        verify: bool | str = not values.flag(INSECURE.name)
        if verify:
            verify = values.text(CA_BUNDLE.name) or True
        return Transport(
            timeout=values.number(TIMEOUT.name),
            retries=int(values.number(RETRIES.name)),
            verify=verify,
        )

    return transport


def _warn_about(config: pytest.Config, values: Values) -> None:
    ini_name = config.inipath.name if config.inipath else "the ini file"
    for item in values.resolved.values():
        # Warn even when a higher source wins: the secret is still in a committed file.
        if item.setting.secret and ini_text(config, item.setting).strip():
            config.issue_config_time_warning(
                SecretInIniWarning(
                    f"{item.setting.ini} is a secret written in {ini_name}, a file "
                    f"that is usually committed: set {item.setting.env} in the environment "
                    "or a .env file instead"
                ),
                stacklevel=2,
            )
    if values.flag(INSECURE.name):
        config.issue_config_time_warning(
            InsecureTransportWarning(
                f"TLS verification is OFF ({values.describe(INSECURE.name)}): anyone on the "
                "network path can read the credentials; use --tm-auth-ca-bundle instead"
            ),
            stacklevel=2,
        )


def pytest_report_header(config: pytest.Config) -> list[str]:
    run = config.stash[RUN]
    return [
        "tm-auth: " + header_line(state, run.hooked_credentials) for state in run.states.values()
    ]


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    run = config.stash.get(RUN, None)
    if run is None or config.pluginmanager.has_plugin(LoginCheck.NAME):
        return  # --tm-auth-check printed its own table
    _count_affected_tests(terminalreporter, run)
    shared = config.pluginmanager.get_plugin(xdist.SharedLogin.NAME)
    lines = [
        line + (shared.note(state.name) if isinstance(shared, xdist.SharedLogin) else "")
        for state in run.states.values()
        if (line := summary_line(state))
    ]
    if lines:
        terminalreporter.write_sep("-", "tm-auth")
        for line in lines:
            terminalreporter.write_line(run.scrubber.scrub(line))


def _count_affected_tests(terminalreporter: pytest.TerminalReporter, run: Run) -> None:
    """Count, per provider, the tests skipped or failed with its one message.

    Counted from the reports (also those of xdist workers), since a session fixture's
    outcome is replayed by pytest without calling the plugin again.
    """
    messages = {}
    for state in run.states.values():
        problem = state.missing or state.failure
        if problem is not None:
            messages[run.scrubber.scrub(str(problem))] = state
    if not messages:
        return
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        if isinstance(longrepr, tuple):
            skipped_by = messages.get(longrepr[2].removeprefix("Skipped: "))
            if skipped_by is not None:
                skipped_by.skipped += 1
    for report in terminalreporter.stats.get("failed", []) + terminalreporter.stats.get(
        "error", []
    ):
        text = str(getattr(report, "longrepr", ""))
        for message, state in messages.items():
            if message in text:
                state.failed_tests += 1


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Hide known secrets in everything a report carries: failure, skip reason, output.

    Reports feed the terminal, ``--junitxml`` and xdist alike, so this one place covers
    them all, including values a test copied into plain strings or printed.
    """
    report = yield
    run = item.config.stash.get(RUN, None)
    if run is not None and run.scrubber:
        _scrub_report(report, run.scrubber)
    return report


def _scrub_report(report: pytest.TestReport, scrubber: Scrubber) -> None:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):
        path, line, reason = longrepr
        report.longrepr = (path, line, scrubber.scrub(reason))
    elif longrepr is not None:
        text = str(longrepr)
        scrubbed = scrubber.scrub(text, pieces=True)
        if scrubbed != text:
            report.longrepr = scrubbed  # plain text: the traceback objects hold the secret
    report.sections = [(title, scrubber.scrub(content)) for title, content in report.sections]
    if isinstance(getattr(report, "wasxfail", None), str):  # the xfail reason
        report.wasxfail = scrubber.scrub(report.wasxfail)
    report.user_properties = [  # record_property: --junitxml writes str(value)
        (name, _scrubbed_value(value, scrubber)) for name, value in report.user_properties
    ]


def _scrubbed_value(value: object, scrubber: Scrubber) -> object:
    text = str(value)
    scrubbed = scrubber.scrub(text)
    return value if scrubbed == text else scrubbed


class WarningScrubber:
    """Hides known secrets in a warning before the terminal summary keeps its text.

    A class registered per run, because ``pytest_warning_recorded`` receives no config.
    """

    NAME = "tm_auth_warning_scrubber"

    def __init__(self, scrubber: Scrubber) -> None:
        self.scrubber = scrubber

    @pytest.hookimpl(tryfirst=True)
    def pytest_warning_recorded(self, warning_message: warnings.WarningMessage) -> None:
        text = str(warning_message.message)
        scrubbed = self.scrubber.scrub(text, pieces=True)
        if scrubbed != text:
            # pytest formats the message with str(): plain text is enough, and keeps none
            # of the original arguments that held the secret.
            warning_message.message = scrubbed


#: pytest's log handlers: captured per test (caplog, report), ``--log-cli-level``, ``--log-file``.
LOG_HANDLERS = ("caplog_handler", "report_handler", "log_cli_handler", "log_file_handler")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Scrub log records in pytest's own handlers: live logs and log files skip reports."""
    run = session.config.stash.get(RUN, None)
    logging_plugin = session.config.pluginmanager.get_plugin("logging-plugin")
    if run is None or logging_plugin is None:
        return
    for name in LOG_HANDLERS:
        handler = getattr(logging_plugin, name, None)
        if isinstance(handler, logging.Handler):
            handler.addFilter(ScrubbingFilter(run.scrubber))


def pytest_assertrepr_compare(
    config: pytest.Config, op: str, left: object, right: object
) -> list[str] | None:
    """No diff when a side is or contains a secret: the diff would print its value."""
    run = config.stash.get(RUN, None)
    try:
        shown = [repr(side) for side in (left, right)]
    except Exception:  # a broken __repr__: leave the explanation to pytest, which copes
        return None
    hidden = [run.scrubber.scrub(text) if run is not None else text for text in shown]
    if hidden == shown and not any(isinstance(side, Secret) for side in (left, right)):
        return None
    return [f"{hidden[0]} {op} {hidden[1]}", "tm-auth: no diff shown, it would reveal a secret"]


@pytest.fixture(scope="session")
def tm_auth(pytestconfig: pytest.Config) -> TmAuth:
    """The run's registry: ``tm_auth.session(name)`` and ``tm_auth.token(name)``."""
    return pytestconfig.stash[RUN].tm_auth


@pytest.fixture(scope="session")
def xray_token(tm_auth: TmAuth) -> Secret:
    """The Xray bearer token as a ``str`` (Cloud: the JWT; Data Center: the PAT)."""
    token = tm_auth.token("xray")
    if token.scheme != "Bearer":
        pytest.fail(
            "xray_token is a bearer token, but Xray Data Center is set up with a username and "
            "password (basic auth): use xray_session, or set JIRA_TOKEN to a personal access token",
            pytrace=False,
        )
    return token.value


@pytest.fixture(scope="session")
def xray_session(tm_auth: TmAuth) -> requests.Session:
    """A ``requests.Session`` for the Xray API: relative paths join its base URL."""
    return tm_auth.session("xray")


@pytest.fixture(scope="session")
def zephyr_session(tm_auth: TmAuth) -> requests.Session:
    """A ``requests.Session`` for the Zephyr Scale API: relative paths join its base URL."""
    return tm_auth.session("zephyr")


@pytest.fixture(scope="session")
def jira_session(tm_auth: TmAuth) -> requests.Session:
    """A ``requests.Session`` for Jira REST (``/rest/api/2/``): relative paths join it."""
    return tm_auth.session("jira")
