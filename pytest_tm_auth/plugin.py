"""pytest wiring: options, configuration, header, fixtures and summary.

Kept free of heavy imports (requests, the stand-in): installing the plugin must not slow
down runs that never use it.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, NamedTuple

import pytest

from pytest_tm_auth.catalog import PLUGIN_NAME, Catalog
from pytest_tm_auth.errors import (
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
from pytest_tm_auth.registry import Accounts, ProviderState, TmAuth
from pytest_tm_auth.scrub import Scrubber
from pytest_tm_auth.secret import Secret
from pytest_tm_auth.settings import Source, Values
from pytest_tm_auth.sources import ini_text, read_settings
from pytest_tm_auth.urls import checked_url

if TYPE_CHECKING:
    import requests

    from pytest_tm_auth.http import Transport
    from pytest_tm_auth.provider import Login, Provider
    from pytest_tm_auth.token import Token


class Run(NamedTuple):
    """Everything the plugin knows for one pytest run, kept in ``config.stash``."""

    states: dict[str, ProviderState]
    tm_auth: TmAuth
    scrubber: Scrubber
    hooked_credentials: bool = False


RUN = pytest.StashKey[Run]()
#: Plugins registered per run, only when their mode is on (``-p no:tm_auth_xdist`` works).
XDIST_PLUGIN = "tm_auth_xdist"
REDACTION_PLUGIN = "tm_auth_redaction"
CHECK_PLUGIN = "tm_auth_check"


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
        accounts = Accounts()
        redact = _redaction_starter(config, scrubber)
        states = {
            name: ProviderState(
                provider,
                values,
                config,
                transport,
                scrubber,
                accounts=accounts,
                on_first_use=redact,
            )
            for name, provider in catalog.providers.items()
        }
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    if scrubber:
        redact()
    _warn_about(config, values)
    on_missing = values.text(ON_MISSING.name) or "skip"
    hooked = bool(config.hook.pytest_tm_auth_credentials.get_hookimpls())
    config.stash[RUN] = Run(states, TmAuth(states, on_missing, scrubber), scrubber, hooked)
    _wire_modes(config, values, states, scrubber)


def _wire_modes(
    config: pytest.Config, values: Values, states: dict[str, ProviderState], scrubber: Scrubber
) -> None:
    """Remembered tokens, xdist sharing and ``--tm-auth-check``, each imported only in use."""
    worker = _is_xdist_worker(config)
    check = values.flag(CHECK.name) and not worker
    if values.flag(REMEMBER.name) or values.flag(RESET.name):
        _attach_memory(config, values, states, reset=values.flag(RESET.name) and not worker)
    # xdist's own cmdline_main has turned -n N into a distribution mode by now.
    if worker or getattr(config.option, "dist", "no") != "no":
        from pytest_tm_auth import xdist

        if worker:
            xdist.adopt(config, states)
            config.pluginmanager.register(xdist.WorkerReport(config, states))
        else:
            sharing = xdist.SharedLogin(states, values)
            config.pluginmanager.register(sharing, XDIST_PLUGIN)
    if check:
        from pytest_tm_auth.check import LoginCheck

        if hasattr(config.option, "dist"):
            config.option.dist = "no"  # before xdist's trylast configure: no workers to start
        config.pluginmanager.register(LoginCheck(states, scrubber), CHECK_PLUGIN)


def _redaction_starter(config: pytest.Config, scrubber: Scrubber) -> Callable[[], None]:
    """Register the output redaction once: at configure when secrets are configured (tests
    can read them), else when a provider is first used. Runs with no secret configured,
    where the plugin is merely installed, pay for no per-test hook.
    """
    lock = threading.Lock()

    def start() -> None:
        with lock:
            if not config.pluginmanager.has_plugin(REDACTION_PLUGIN):
                from pytest_tm_auth.redaction import Redaction

                redaction = Redaction(scrubber)
                redaction.watch_logs(config)
                config.pluginmanager.register(redaction, REDACTION_PLUGIN)

    return start


def _is_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


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
    if _is_xdist_worker(config):  # use the controller's stand-in, and so its tokens
        from pytest_tm_auth.xdist import shared_sandbox

        shared = shared_sandbox(config)
        if shared is not None:
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
    from pytest_tm_auth import report  # here: ``-q`` runs never show the header

    run = config.stash[RUN]
    return [
        "tm-auth: " + report.header_line(state, run.hooked_credentials)
        for state in run.states.values()
    ]


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    run = config.stash.get(RUN, None)
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
