"""The command's settings, resolved as a run resolves them: option > env > ``.env`` > default.

The command reads no ini file (it runs outside pytest); the settings that are not secret
have the same options as in pytest (``--xray-client-id``). Secrets are never options of the
command: a shell's history would keep them.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

from pytest_tm_auth.core.provider import Provider
from pytest_tm_auth.core.values import Setting, Values
from pytest_tm_auth.run.catalog import option_arguments
from pytest_tm_auth.settings.resolve import Sources, env_files, resolve, with_env_files
from pytest_tm_auth.settings.run_wide import (
    ALLOW_HTTP,
    CA_BUNDLE,
    ENV_FILE,
    INSECURE,
    RETRIES,
    TIMEOUT,
    XRAY_FIX_VERSION,
    XRAY_PROJECT,
    XRAY_REVISION,
    XRAY_STATUSES,
    XRAY_TEST_ENVIRONMENTS,
    XRAY_TEST_EXECUTION,
    XRAY_TEST_PLAN,
    ZEPHYR_CYCLE_NAME,
    ZEPHYR_ENVIRONMENT,
    ZEPHYR_PROJECT,
)

#: The run-wide settings a login uses: where the .env files are, and how to connect.
CONNECTION = (ENV_FILE, TIMEOUT, RETRIES, CA_BUNDLE, INSECURE, ALLOW_HTTP)


def providers() -> dict[str, Provider]:
    """The providers the command knows: the registry's built-in ones. The command runs
    outside pytest, so the providers a ``conftest.py`` or plugin adds are not among them."""
    from pytest_tm_auth.providers import built_in

    return {provider.name: provider for provider in built_in()}


def provider_names() -> list[str]:
    return list(providers())


def all_settings(known: Sequence[Provider] | None = None) -> list[Setting]:
    """Every provider's settings (each once, in header order), then the connection's."""
    found: dict[str, Setting] = {}
    for provider in providers().values() if known is None else known:
        for setting in provider.settings:
            found.setdefault(setting.name, setting)
    return [*found.values(), *CONNECTION]


def add_setting_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("settings (as in pytest; secrets are asked for instead)")
    for setting in all_settings():
        if not setting.secret:  # the same option as pytest's: one mapping for both helps
            group.add_argument(setting.option, **option_arguments(setting))


#: What ``publish`` may set anew over the journal's header (a setting that was wrong, or a
#: status the site refused); never the Test Execution: results stay where the run put them.
OVERRIDES = (
    XRAY_PROJECT,
    XRAY_TEST_PLAN,
    XRAY_TEST_ENVIRONMENTS,
    XRAY_STATUSES,
    XRAY_FIX_VERSION,
    XRAY_REVISION,
)


def add_override_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "the run's Xray settings, given anew (JOURNAL: each overrides the journal's; options "
        "only, never the environment; the Test Execution is never changed. xray FILE.xml: "
        "also from the environment and .env files)"
    )
    for setting in OVERRIDES:
        said = setting.help.replace("%", "%%")
        group.add_argument(setting.option, dest=setting.name, metavar=setting.metavar, help=said)


def overrides(args: argparse.Namespace) -> dict[str, object]:
    """The settings given anew, by the journal header's names (``project``, ...)."""
    given: dict[str, object] = {}
    for setting in OVERRIDES:
        value = getattr(args, setting.name, None)
        if value is None:
            continue
        name = setting.name.removeprefix("xray_")
        if name == "test_environments":
            given["environments"] = [part.strip() for part in value.split(",") if part.strip()]
        else:
            given[name] = value
    return given


def command_values(args: argparse.Namespace, settings: Sequence[Setting]) -> Values:
    """The settings from this command line, the environment and the ``.env`` files."""
    environ = os.environ
    sources = Sources(
        options={s.name: getattr(args, s.name, None) for s in settings},
        environ={s.env: environ[s.env] for s in settings if s.env in environ},
    )
    root = Path.cwd()
    files = env_files(root, sources)
    if files:
        sources = with_env_files(root, sources, files)
    return resolve(settings, sources)


#: A JUnit report's settings (``publish xray|zephyr FILE.xml``): the run's publishing's own,
#: read from the same sources (option > environment > ``.env``).
REPORT_SETTINGS = {
    "xray": (
        XRAY_PROJECT,
        XRAY_TEST_EXECUTION,
        XRAY_TEST_PLAN,
        XRAY_TEST_ENVIRONMENTS,
        XRAY_REVISION,
        XRAY_FIX_VERSION,
    ),
    "zephyr": (ZEPHYR_PROJECT, ZEPHYR_CYCLE_NAME, ZEPHYR_ENVIRONMENT),
}
#: The options only a report takes: a journal's results go where its run put them.
REPORT_ONLY = (XRAY_TEST_EXECUTION, ZEPHYR_PROJECT, ZEPHYR_CYCLE_NAME, ZEPHYR_ENVIRONMENT)


def add_report_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "a report's settings (xray|zephyr FILE.xml only; also from the environment and .env files)"
    )
    for setting in REPORT_ONLY:
        said = f"{setting.help} [env {setting.env}]".replace("%", "%%")
        group.add_argument(setting.option, dest=setting.name, metavar=setting.metavar, help=said)


def misplaced(args: argparse.Namespace, allowed: Sequence[Setting]) -> list[str]:
    """The publishing options given that ``allowed`` does not hold, as typed."""
    given = {*OVERRIDES, *REPORT_ONLY} - set(allowed)
    return sorted(s.option for s in given if getattr(args, s.name, None) is not None)
