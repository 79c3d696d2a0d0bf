"""``pytest-tm-auth publish JOURNAL``: land what a run journaled, into the same target.

The journal is checked before anything is read from it (owner, mode, every line's digest);
one that cannot be trusted is refused with its one line. The login is the run's own (the
provider's code behind the same login step), with the usual sources: options, the
environment, ``.env`` files and the keyring. What already landed is not sent again, so the
command is safe to run twice; a Test Execution the run created (or was creating) is the one
imported into, never a second.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

from pytest_tm_auth.cli.login import command_run
from pytest_tm_auth.cli.settings import all_settings, command_values, overrides, providers
from pytest_tm_auth.core.errors import TmAuthError
from pytest_tm_auth.core.scrub import Scrubber
from pytest_tm_auth.core.values import Values
from pytest_tm_auth.results.journal import Journal, JournalState
from pytest_tm_auth.results.publish import Publishing, ServiceClient, deployment, publish
from pytest_tm_auth.results.services import adapter
from pytest_tm_auth.run.preflight import check_transport

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
    scrubber = Scrubber()
    scrubber.add(*values.secrets())
    state = command_run(providers()[service], values, scrubber)

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
