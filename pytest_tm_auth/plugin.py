"""pytest wiring: options, configuration, header, fixtures and summary.

Kept free of heavy imports (requests, the stand-in): installing the plugin must not slow
down runs that never use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

from pytest_tm_auth.catalog import PLUGIN_NAME, Catalog
from pytest_tm_auth.errors import ConfigError, InsecureTransportWarning, SecretInIniWarning
from pytest_tm_auth.general import CA_BUNDLE, GENERAL_SETTINGS, INSECURE, ON_MISSING
from pytest_tm_auth.registry import ProviderState, TmAuth
from pytest_tm_auth.report import header_line, summary_line
from pytest_tm_auth.scrub import Scrubber
from pytest_tm_auth.secret import Secret
from pytest_tm_auth.settings import Source, Values
from pytest_tm_auth.sources import read_settings

if TYPE_CHECKING:
    import requests

    from pytest_tm_auth.http import Transport
    from pytest_tm_auth.provider import Login, Provider
    from pytest_tm_auth.token import Token


@dataclass
class Run:
    """Everything the plugin knows for one pytest run, kept in ``config.stash``."""

    values: Values
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
    try:
        values = read_settings(config, catalog.settings.values())
        if values.flag("tm_auth_sandbox"):
            values = _start_sandbox(config, values)
        _check_transport(values)
        scrubber = Scrubber()
        scrubber.add(*values.secrets())
        transport = _transport_factory(values)
        states = {
            name: ProviderState(provider, values, config, transport, scrubber)
            for name, provider in catalog.providers.items()
        }
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    _warn_about(config, values)
    on_missing = values.text(ON_MISSING.name) or "skip"
    own = config.pluginmanager.get_plugin("pytest_tm_auth.plugin")
    hooked = any(
        impl.plugin is not own for impl in config.hook.pytest_tm_auth_credentials.get_hookimpls()
    )
    config.stash[RUN] = Run(values, states, TmAuth(states, on_missing, scrubber), scrubber, hooked)


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(RUN, None)
    if run is not None:
        for state in run.states.values():
            state.close()


def _start_sandbox(config: pytest.Config, values: Values) -> Values:
    from pytest_tm_auth.sandbox import Sandbox

    sandbox = Sandbox().start()
    config.add_cleanup(sandbox.stop)
    return values.overridden(sandbox.settings("cloud"), Source("sandbox", "--tm-auth-sandbox"))


def _check_transport(values: Values) -> None:
    bundle = values.text(CA_BUNDLE.name)
    if bundle:
        from pathlib import Path

        if not Path(bundle).is_file():
            raise ConfigError(
                f"CA bundle {bundle!r} from {values.source(CA_BUNDLE.name)} does not exist"
            )


def _transport_factory(values: Values) -> Callable[[], Transport]:
    """Build the transport on first use, so that requests is imported only when needed."""
    made: list[Transport] = []

    def transport() -> Transport:
        if not made:
            from pytest_tm_auth.http import Transport

            verify: bool | str = True
            if values.flag(INSECURE.name):
                verify = False
            elif values.text(CA_BUNDLE.name):
                verify = values.text(CA_BUNDLE.name) or True
            made.append(
                Transport(
                    timeout=values.number("tm_auth_timeout"),
                    retries=int(values.number("tm_auth_retries")),
                    verify=verify,
                )
            )
        return made[0]

    return transport


def _warn_about(config: pytest.Config, values: Values) -> None:
    for item in values.resolved.values():
        if item.setting.secret and item.value and item.source.kind == "ini":
            config.issue_config_time_warning(
                SecretInIniWarning(
                    f"{item.setting.ini} is a secret written in {item.source.where}, a file "
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
    if run is None:
        return
    _count_skips(terminalreporter, run)
    lines = [line for state in run.states.values() if (line := summary_line(state))]
    if lines:
        terminalreporter.write_sep("-", "tm-auth")
        for line in lines:
            terminalreporter.write_line(run.scrubber.scrub(line))


def _count_skips(terminalreporter: pytest.TerminalReporter, run: Run) -> None:
    """Count tests skipped because a provider has no credentials, per provider."""
    reasons = {
        f"Skipped: {state.missing}": state
        for state in run.states.values()
        if state.missing is not None
    }
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = getattr(report, "longrepr", None)
        if isinstance(longrepr, tuple) and longrepr[2] in reasons:
            reasons[longrepr[2]].skipped += 1


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
