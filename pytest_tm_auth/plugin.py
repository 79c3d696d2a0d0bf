"""pytest wiring: options, configuration, header, fixtures and summary.

Kept free of heavy imports (requests, the stand-in): installing the plugin must not slow
down runs that never use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pytest

from pytest_tm_auth.catalog import PLUGIN_NAME, Catalog
from pytest_tm_auth.errors import ConfigError
from pytest_tm_auth.general import GENERAL_SETTINGS
from pytest_tm_auth.startup import CHECK_PLUGIN, XDIST_PLUGIN, Run, Startup

if TYPE_CHECKING:
    import requests

    from pytest_tm_auth.provider import Login, Provider
    from pytest_tm_auth.registry import TmAuth
    from pytest_tm_auth.secret import Secret
    from pytest_tm_auth.token import Token


STARTUP = pytest.StashKey[Startup]()
#: The fixture every other one goes through: a test that requests it needs the providers.
GATEWAY_FIXTURE = "tm_auth"


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
    startup = Startup(config, catalog)
    config.stash[STARTUP] = startup
    try:
        startup.configure()
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


def _setup(config: pytest.Config) -> Run:
    """The set-up run, for hooks that run before any test: a bad setting is a usage error."""
    try:
        return config.stash[STARTUP].setup()
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


def pytest_collection_finish(session: pytest.Session) -> None:
    """Set up before the first test when a selected test will need a provider, so that a bad
    value in a ``.env`` file stops the run at once instead of erroring each such test."""
    config = session.config
    if _current(config) is not None or config.option.collectonly:
        return
    for item in session.items:
        if GATEWAY_FIXTURE in getattr(item, "fixturenames", ()):
            _setup(config)
            return


def _current(config: pytest.Config) -> Run | None:
    """The run if its providers are set up: hooks that only report never set it up."""
    startup = config.stash.get(STARTUP, None)
    return None if startup is None else startup.current


def pytest_unconfigure(config: pytest.Config) -> None:
    run = _current(config)
    if run is not None:
        for state in run.states.values():
            state.close()


def pytest_report_header(config: pytest.Config) -> list[str]:
    from pytest_tm_auth import report  # here: ``-q`` runs never show the header

    run = _setup(config)
    return [
        "tm-auth: " + report.header_line(state, run.hooked_credentials)
        for state in run.states.values()
    ]


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    run = _current(config)
    if run is None or config.pluginmanager.has_plugin(CHECK_PLUGIN):
        return  # --tm-auth-check printed its own table
    _count_affected_tests(terminalreporter, run)
    if not any(s.outcome or s.skipped or s.failed_tests for s in run.states.values()):
        return  # no provider was used: nothing to say, and nothing more to import
    from pytest_tm_auth import report

    sharing = config.pluginmanager.get_plugin(XDIST_PLUGIN)  # an xdist.SharedLogin
    lines = [
        line + (sharing.note(state.name) if sharing is not None else "")
        for state in run.states.values()
        if (line := report.summary_line(state))
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


@pytest.fixture(scope="session")
def tm_auth(pytestconfig: pytest.Config) -> TmAuth:
    """The run's registry: ``tm_auth.session(name)`` and ``tm_auth.token(name)``."""
    try:
        return pytestconfig.stash[STARTUP].setup().tm_auth
    except ConfigError as exc:  # asked through request.getfixturevalue, after collection
        pytest.fail(str(exc), pytrace=False)


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
