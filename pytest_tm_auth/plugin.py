"""pytest wiring: options, configuration, header, fixtures and summary.

Kept free of heavy imports (requests, the stand-in): installing the plugin must not slow
down runs that never use it. Everything it raises goes through the one boundary where
errors become pytest outcomes, in :mod:`.run.plugin_base`.
"""

from __future__ import annotations

import functools
import os
import types
import weakref
from collections.abc import Generator, Iterable
from typing import TYPE_CHECKING

import pytest

from pytest_tm_auth import _compat
from pytest_tm_auth.core.errors import TmAuthError
from pytest_tm_auth.run.catalog import Catalog
from pytest_tm_auth.run.plugin_base import fail_test, usage_errors
from pytest_tm_auth.run.startup import Run, Startup
from pytest_tm_auth.settings.run_wide import CHECK, RESULT_SETTINGS, RUN_WIDE_SETTINGS

if TYPE_CHECKING:
    import requests

    from pytest_tm_auth.core.provider import Login, Provider
    from pytest_tm_auth.core.token import Token
    from pytest_tm_auth.core.values import Secret
    from pytest_tm_auth.results.notes import ResultNotes
    from pytest_tm_auth.run.startup import TmAuth

STARTUP = pytest.StashKey[Startup]()
#: Each run's catalog, made when its options are added, by its plugin manager: not a plugin,
#: which pluggy and pytest's fixture manager would each scan, name by name.
CATALOGS: weakref.WeakKeyDictionary[pytest.PytestPluginManager, Catalog] = (
    weakref.WeakKeyDictionary()
)
FIXTURES = "tm_auth_fixtures"
#: The fixtures that need a provider: a selected test using one sets the providers up.
PROVIDER_FIXTURES = frozenset(
    {"tm_auth", "xray_token", "xray_session", "zephyr_session", "jira_session"}
)


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from pytest_tm_auth import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    catalog = Catalog(parser)
    catalog.add_settings(RUN_WIDE_SETTINGS)
    catalog.add_settings(RESULT_SETTINGS)
    CATALOGS[pluginmanager] = catalog
    pluginmanager.hook.pytest_tm_auth_add_providers.call_historic(
        result_callback=catalog.add_providers, kwargs={}
    )


def pytest_tm_auth_add_providers() -> Iterable[Provider]:
    from pytest_tm_auth.providers import built_in

    return built_in()


@pytest.hookimpl(trylast=True)
def pytest_tm_auth_authenticate(login: Login) -> Token | None:
    return login.provider.authenticate(login)


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> Generator[None, None, None]:
    """A ``conftest.py`` that fails to load at start: pytest prints its error before any
    report exists, so the secrets the environment holds are hidden in it here."""
    try:
        return (yield)
    except Exception as error:
        cause = _compat.conftest_failure_cause(error)
        catalog = CATALOGS.get(early_config.pluginmanager)
        if cause is not None and catalog is not None:
            from pytest_tm_auth.core.scrub import Scrubber
            from pytest_tm_auth.run import modes

            scrubber = Scrubber()
            scrubber.add(*(os.environ.get(s.env) for s in catalog.settings.values() if s.secret))
            modes.scrub_early_failure(cause, scrubber)
        raise


def pytest_configure(config: pytest.Config) -> None:
    catalog = CATALOGS[config.pluginmanager]
    catalog.closed = True
    startup = Startup(config, catalog)
    config.stash[STARTUP] = startup
    config.pluginmanager.register(fixtures_for(startup), FIXTURES)
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    with usage_errors():
        startup.configure()
        if startup.switches:
            _collect_results(config, startup)


def _collect_results(config: pytest.Config, startup: Startup) -> None:
    """Publishing or a dry run is on: collect the linked tests' results into the journal.

    Only then is anything of ``results/`` imported. Publishing itself (at the session's
    finish, the summary, the exit status) reads the collector registered here.
    """
    from pytest_tm_auth.results.collect import PLUGIN_NAME, ResultCollector
    from pytest_tm_auth.results.publish import PUBLISH_PLUGIN, PublishPlugin

    scrub = startup.scrubber.remembered  # each test's id scrubbed again in the payload
    scrub_failure = functools.partial(startup.scrubber.scrub, pieces=True)
    collector = ResultCollector(config, scrub, startup.values, startup.switches, scrub_failure)
    config.pluginmanager.register(collector, PLUGIN_NAME)
    run = functools.partial(_setup, config)
    config.pluginmanager.register(PublishPlugin(config, collector, run), PUBLISH_PLUGIN)
    if startup.values().flag(CHECK.name):
        from pytest_tm_auth.results.audit import LINK_AUDIT, LinkAudit

        config.pluginmanager.register(LinkAudit(run, collector.services), LINK_AUDIT)


def _setup(config: pytest.Config) -> Run:
    """The set-up run, for hooks that run before any test: a bad setting is a usage error."""
    with usage_errors():
        return config.stash[STARTUP].setup()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Set up before the first test when a selected test will need a provider, so that a bad
    value in a ``.env`` file stops the run at once instead of erroring each such test."""
    config = session.config
    if _current(config) is not None or config.option.collectonly:
        return
    for item in session.items:
        if not PROVIDER_FIXTURES.isdisjoint(getattr(item, "fixturenames", ())):
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
    run = _setup(config)
    from pytest_tm_auth.run.state import header_line  # imported by the set-up above

    return [
        "tm-auth: " + header_line(state, run.hooked_credentials) for state in run.states.values()
    ]


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    run = _current(config)
    if run is None or run.checking:
        return  # --tm-auth-check printed its own table
    if not any(s.outcome or s.skipped or s.failed_tests for s in run.states.values()):
        return  # no provider was used: nothing to say, and nothing more to import
    from pytest_tm_auth.run.state import summary_line

    lines = [
        line + "".join(note(state.name) for note in run.notes)
        for state in run.states.values()
        if (line := summary_line(state))
    ]
    if lines:
        terminalreporter.write_sep("-", "tm-auth")
        for line in lines:
            terminalreporter.write_line(run.scrubber.scrub(line))


def fixtures_for(startup: Startup) -> types.ModuleType:
    """The plugin's fixtures for one run, registered at configure.

    Each takes no argument: a test that uses one pays pytest for one fixture, as it does
    for a hand-written one (``request`` or a chain through ``tm_auth`` would cost a fixture
    lookup per link for every test). They are closures over this run's start-up, held by a
    namespace made per run, so that nested and parallel runs never share them.
    """

    def registry() -> TmAuth:
        """The run's registry; a bad setting found this late fails the asking test."""
        __tracebackhide__ = True
        try:
            return startup.setup().tm_auth
        except TmAuthError as exc:  # asked through request.getfixturevalue, after collection
            problem = exc
        fail_test(problem, scrub=str)

    @pytest.fixture(scope="session")
    def tm_auth() -> TmAuth:
        """The run's registry: ``tm_auth.session(name)`` and ``tm_auth.token(name)``."""
        return registry()

    @pytest.fixture(scope="session")
    def xray_token() -> Secret:
        """The Xray bearer token as a ``str`` (Cloud: the JWT; Data Center: the PAT)."""
        token = registry().token("xray")
        if token.scheme != "Bearer":
            fail_test(TmAuthError(BASIC_XRAY_TOKEN), scrub=str)
        return token.value

    @pytest.fixture(scope="session")
    def xray_session() -> requests.Session:
        """A ``requests.Session`` for the Xray API: relative paths join its base URL."""
        return registry().session("xray")

    @pytest.fixture(scope="session")
    def zephyr_session() -> requests.Session:
        """A ``requests.Session`` for the Zephyr Scale API: relative paths join its base URL."""
        return registry().session("zephyr")

    @pytest.fixture(scope="session")
    def jira_session() -> requests.Session:
        """A ``requests.Session`` for Jira REST (``/rest/api/2/``): relative paths join it."""
        return registry().session("jira")

    @pytest.fixture
    def tm_result(request: pytest.FixtureRequest) -> ResultNotes:
        """The current test's result: ``attach(name, data)`` evidence, ``comment(text)``."""
        from pytest_tm_auth.results.notes import NOTES, ResultNotes

        notes = request.node.stash[NOTES] = ResultNotes.scrubbed_by(startup.scrubber)
        return notes

    # A module, not a class: pytest reads a module's names as dict lookups, but walks a
    # class's MRO for each of the thirty names it inherits from ``object``.
    holder = types.ModuleType(FIXTURES, fixtures_for.__doc__)
    for fixture in (tm_auth, xray_token, xray_session, zephyr_session, jira_session, tm_result):
        setattr(holder, fixture.__name__, fixture)
    return holder


#: The link markers (``pytest --markers``), always registered: checked by ``results/links.py``.
MARKERS = (
    "xray(*keys, defects=[]): link the test's result to these Xray Test issues (or one list "
    "of keys); published with --xray-publish (pytest-tm-auth)",
    "zephyr(*keys): link the test's result to these Zephyr Scale test cases (like DEMO-T12); "
    "published with --zephyr-publish (pytest-tm-auth)",
)
BASIC_XRAY_TOKEN = (
    "xray_token is a bearer token, but Xray Data Center is set up with a username and "
    "password (basic auth): use xray_session, or set JIRA_TOKEN to a personal access token"
)
