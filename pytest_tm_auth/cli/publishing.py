"""``pytest-tm-auth publish``: land what a run journaled (``publish JOURNAL``), or a JUnit XML
report of any runner (``publish xray|zephyr FILE.xml``).

The login is the run's own (the provider's code behind the same login step), with the usual
sources: options, the environment, ``.env`` files and the keyring.

A journal is checked before anything is read from it (owner, mode, every line's digest);
one that cannot be trusted is refused with its one line. What already landed is not sent
again, so the command is safe to run twice; a Test Execution the run created (or was
creating) is the one imported into, never a second.

A report is read whole and checked (:mod:`~pytest_tm_auth.results.junit`: size, no DTD,
well-formed, its cases counted) before any login; then one request sends it: Xray's JUnit
import into a Test Execution, or Zephyr Scale's automation upload into a new cycle. Each
run of the command sends the report again: unlike a journal, a report carries no record of
where it landed. The report is the user's own file and goes as it is, with one exception:
a report holding one of the secrets this command logs in with is refused, so a credential a
test printed is never sent to where every reader of the project sees it. What the command
says is scrubbed of every secret and token it knows.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Iterator
from pathlib import Path

from pytest_tm_auth.cli.credentials import command_run
from pytest_tm_auth.cli.settings import (
    REPORT_SETTINGS,
    all_settings,
    command_values,
    misplaced,
    overrides,
    providers,
)
from pytest_tm_auth.core.errors import ConfigError, TmAuthError, inert
from pytest_tm_auth.core.token import utc_time
from pytest_tm_auth.core.values import InKeyring, Values
from pytest_tm_auth.results.journal import Journal, JournalState
from pytest_tm_auth.results.junit import Tally, tally
from pytest_tm_auth.results.model import PublishError
from pytest_tm_auth.results.publish import Publishing, ServiceClient, deployment, publish
from pytest_tm_auth.results.services import adapter
from pytest_tm_auth.results.xray_client import JUnitImport, XrayClient, import_report
from pytest_tm_auth.results.zephyr_automation import JUnitUpload, upload_report
from pytest_tm_auth.run.preflight import check_transport
from pytest_tm_auth.run.state import ProviderRun

#: The services the command publishes to (those a journal's header may name).
SERVICES = ("xray", "zephyr")


def publish_command(args: argparse.Namespace) -> Iterator[str]:
    path = Path(args.journal)
    # Locked from here to the end; refused with one line when it cannot be trusted.
    journal, state = Journal.reopen(path, write=not args.tm_auth_dry_run)
    try:
        yield from _publish_all(args, path, journal, state)
    finally:
        journal.close()


def _publish_all(
    args: argparse.Namespace, path: Path, journal: Journal, state: JournalState
) -> Iterator[str]:
    asked = args.publish_dry_run_journal or args.tm_auth_dry_run
    if state.header.get("dry_run") is True and not asked:
        raise TmAuthError(
            f"{path} was written by a dry run (--tm-auth-dry-run): nothing of it is sent "
            f"unless asked; to publish it: pytest-tm-auth publish {path} "
            "--publish-dry-run-journal"
        )
    named = state.header.get("services")
    services = [name for name in SERVICES if isinstance(named, dict) and name in named]
    if not services:
        yield f"{path}: publishing was on for no service in that run: nothing to publish"
        return
    known = providers()
    values = command_values(args, all_settings(list(known.values())))
    check_transport(values)
    failures = []
    for service in services:
        publishing = _publishing(known[service].name, values, args.tm_auth_dry_run)
        publishing.overrides = overrides(args) if service == "xray" else {}  # Xray's mends
        outcome = publish(path, publishing, (journal, state))
        if outcome.failed:
            failures.append(outcome.line())
        else:
            yield outcome.line()
            yield from outcome.notes()
    if failures:
        raise TmAuthError("\n".join(failures))


def _publishing(service: str, values: Values, dry_run: bool) -> Publishing:
    """The service's publishing through the run's own login path, logging in on first use."""
    state, scrubber = command_run(providers()[service], values)

    def client() -> ServiceClient:
        session = state.session()
        target = state.target
        assert target is not None  # a session exists only for a configured provider
        return adapter(service).client(session, target, values.text("jira_url"))

    return Publishing(
        service,
        client,
        lambda: deployment(state, service),
        scrubber.scrub,
        dry_run=dry_run,
        pieces=lambda text: scrubber.scrub(text, pieces=True),
    )


#: How a project key looks (Jira's rule), and each service's name in what the command says.
PROJECT_KEY = re.compile(r"[A-Z][A-Z0-9_]{0,254}")
TITLES = {"xray": "Xray", "zephyr": "Zephyr Scale"}


def publish_report(args: argparse.Namespace) -> Iterator[str]:
    service, path = _chosen(args)
    known = providers()
    values = command_values(args, [*all_settings(list(known.values())), *REPORT_SETTINGS[service]])
    check_transport(values)
    # A missing project is said before the file is read.
    settings = _xray_settings(values) if service == "xray" else _zephyr_settings(values, path)
    secrets = {name.upper(): value for name, value in _secrets(values).items()}
    found = tally(path, secrets)  # refuses a report holding one, read or as written
    yield from _notes(service, found)
    if args.tm_auth_dry_run:
        yield f"{service}: dry run: {path} holds {found.cases} cases: nothing sent"
        return
    state, scrubber = command_run(known[service], values)
    try:
        key, url = _send(state, path, settings, values.text("jira_url"))
    except TmAuthError as error:
        said = f"{service}: results not published: {error}"
        if isinstance(error, PublishError) and error.ambiguous:
            said += f"; look in {TITLES[service]} before publishing the report again"
        raise TmAuthError(scrubber.scrub(said)) from None
    finally:
        state.close()
    where = f"{key} ({url})" if url else key
    yield scrubber.scrub(f"{service}: published {found.cases} cases to {where}")


def _chosen(args: argparse.Namespace) -> tuple[str, Path]:
    """The service and the report the command line names; a usage error otherwise."""
    service, report = args.journal, args.report
    if service not in REPORT_SETTINGS:
        raise ConfigError(
            f"publish takes JOURNAL, or xray or zephyr followed by a report, not "
            f"{service!r} {report!r}: e.g. pytest-tm-auth publish xray report.xml"
        )
    if report is None:
        raise ConfigError(
            f"publish {service} needs a JUnit XML report: pytest-tm-auth publish {service} "
            f"FILE.xml (a journal named {service}: ./{service})"
        )
    given = misplaced(args, REPORT_SETTINGS[service])
    if given or args.publish_dry_run_journal:
        named = ", ".join([*given, *(["--publish-dry-run-journal"] * args.publish_dry_run_journal)])
        raise ConfigError(f"{named}: not for publish {service} FILE.xml")
    return service, Path(report)


def _notes(service: str, found: Tally) -> Iterator[str]:
    """What the service does with the cases the report links to nothing, and with those
    that share a Zephyr Scale test case key."""
    if service == "xray" and found.xray_linked < found.cases:
        unlinked = found.cases - found.xray_linked
        yield (
            f"xray: {unlinked} of {found.cases} cases have no test_key property: Xray finds "
            "their Tests by class name and name, or creates Generic Tests for them"
        )
    elif service == "zephyr" and found.zephyr_linked < found.cases:
        unlinked = found.cases - found.zephyr_linked
        yield (
            f"zephyr: {unlinked} of {found.cases} cases have no test case key in their name "
            "(test_login_DEMO_T19): Zephyr Scale finds them by name, and refuses the whole "
            "upload if one is not found"
        )
    if service == "zephyr" and found.zephyr_shared:
        yield (
            f"zephyr: {found.zephyr_shared} cases share a test case key with another case: Data "
            "Center gets one execution per key, the worst status of its cases (as a run's "
            "results do); Zephyr Scale Cloud reads the report itself and makes one per case"
        )


def _xray_settings(values: Values) -> JUnitImport:
    """Where the report lands in Xray; a usage error when that is nowhere."""
    environments = values.text("xray_test_environments") or ""
    settings = JUnitImport(
        values.text("xray_project"),
        values.text("xray_test_execution"),
        values.text("xray_test_plan"),
        tuple(part.strip() for part in environments.split(",") if part.strip()),
        values.text("xray_revision"),
        values.text("xray_fix_version"),
    )
    if not (settings.project or settings.test_execution):
        raise ConfigError(
            "no Test Execution for the report: set --xray-project (XRAY_PROJECT) for a new "
            "one, or --xray-test-execution (XRAY_TEST_EXECUTION) for an existing one"
        )
    return settings


def _zephyr_settings(values: Values, path: Path) -> JUnitUpload:
    """The new cycle the report makes; a usage error without a project."""
    project = values.text("zephyr_project")
    if not project:
        raise ConfigError("no project for the new cycle: set --zephyr-project (ZEPHYR_PROJECT)")
    if not PROJECT_KEY.fullmatch(project):  # it goes in Data Center's path
        raise ConfigError(
            f"{values.describe('zephyr_project')}: {inert(project, 40)!r} is not a Jira "
            "project key (like DEMO)"
        )
    stamp = utc_time(time.time())
    name = values.text("zephyr_cycle_name") or f"{path.name} ({stamp})"
    return JUnitUpload(project, name, values.text("zephyr_environment"))


def _send(
    state: ProviderRun, path: Path, settings: JUnitImport | JUnitUpload, jira_site: str | None
) -> tuple[str, str]:
    """Log in and send the report: the key it landed under and its URL (or ``""``)."""
    session = state.session()
    target = state.target
    assert target is not None  # a session exists only for a configured provider
    if isinstance(settings, JUnitImport):
        key = import_report(session, target, path, settings)
        return key, XrayClient(session, target, jira_site).browse(key)
    return upload_report(session, target, path, settings)


def _secrets(values: Values) -> dict[str, str]:
    """Each secret setting that is set, by name (those still in the keyring are not read)."""
    return {
        name: item.value
        for name, item in values.resolved.items()
        if item.setting.secret
        and isinstance(item.value, str)
        and item.value
        and not isinstance(item.value, InKeyring)
    }
