"""``pytest-tm-auth login|logout|status|publish``: one argparse parser, the commands apart.

Each command is a generator of the lines it has to say, and raises what it cannot do;
this module alone prints. Every failure the command can explain is one line on standard
error and a non-zero exit status, never a traceback: 1 when something was refused or
cannot be used, 2 for usage.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence

from pytest_tm_auth.cli.settings import (
    OVERRIDES,
    REPORT_SETTINGS,
    add_override_options,
    add_report_options,
    add_setting_options,
    misplaced,
    provider_names,
)
from pytest_tm_auth.core.errors import ConfigError, TmAuthError
from pytest_tm_auth.store.base import StoreError

PROG = "pytest-tm-auth"
#: A command: the lines it says, printed as they come; what it cannot do, raised.
Command = Callable[[argparse.Namespace], Iterator[str]]


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog=PROG,
        description="Keep the secrets of pytest-tm-auth's providers in the OS keyring.",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    login = commands.add_parser(
        "login",
        help="ask for a provider's secrets, log in to verify them, store them in the keyring",
        description="Asks for each secret PROVIDER needs that no option, environment variable "
        "or .env file sets (standard input when it is not a terminal), logs in with it, and "
        "stores it in the OS keyring only if the login succeeded.",
    )
    names = provider_names()
    login.add_argument("provider", choices=names, metavar="PROVIDER", help=", ".join(names))
    add_setting_options(login)
    logout = commands.add_parser("logout", help="remove the secrets login stored")
    logout.add_argument(
        "provider", nargs="?", choices=names, metavar="PROVIDER", help="default: every one"
    )
    commands.add_parser("status", help="which secrets are stored for which site (never values)")
    publish = commands.add_parser(
        "publish",
        usage="%(prog)s [options] JOURNAL | xray FILE.xml | zephyr FILE.xml",
        help="publish a run's journal (again), or a JUnit XML report of any runner",
        description="JOURNAL: publishes what a run journaled that did not land yet, into the "
        "Test Execution the run made (or was making), never a second one; safe to run twice. "
        "xray FILE.xml: imports a JUnit XML report of any runner into a Test Execution (a "
        "new one in --xray-project, or --xray-test-execution). zephyr FILE.xml: uploads it "
        "into a new Zephyr Scale cycle in --zephyr-project. The report is checked before "
        "anything is sent; each run of the command imports it again. Credentials come "
        "from options, the environment, .env files and the keyring.",
    )
    publish.add_argument(
        "journal",
        metavar="JOURNAL|SERVICE",
        help="the journal a run wrote, or xray or zephyr followed by a report "
        "(a journal named like a service: ./xray)",
    )
    publish.add_argument(
        "report", nargs="?", metavar="FILE.xml", help="a JUnit XML report (after xray|zephyr)"
    )
    publish.add_argument(
        "--tm-auth-dry-run",
        dest="tm_auth_dry_run",
        action="store_true",
        help="build and check the payload (or read the report); log in to nothing, send nothing",
    )
    publish.add_argument(
        "--publish-dry-run-journal",
        dest="publish_dry_run_journal",
        action="store_true",
        help="publish a journal a dry run wrote (refused without this)",
    )
    add_override_options(publish)
    add_report_options(publish)
    add_setting_options(publish)
    return top


def command(name: str) -> Command:
    """The command's generator, imported when it runs."""
    if name == "login":
        from pytest_tm_auth.cli.credentials import login

        return login
    if name == "logout":
        from pytest_tm_auth.cli.credentials import logout

        return logout
    if name == "publish":
        return publish
    from pytest_tm_auth.cli.credentials import status

    return status


def publish(args: argparse.Namespace) -> Iterator[str]:
    """``publish JOURNAL``, or ``publish xray|zephyr FILE.xml``: the word after it chooses."""
    if args.journal in REPORT_SETTINGS or args.report is not None:
        from pytest_tm_auth.cli.publishing import publish_report

        return publish_report(args)
    given = misplaced(args, OVERRIDES)
    if given:
        raise ConfigError(
            f"{', '.join(given)}: only for a report (pytest-tm-auth publish xray|zephyr "
            "FILE.xml); a journal's results go where its run put them"
        )
    from pytest_tm_auth.cli.publishing import publish_command

    return publish_command(args)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        for line in command(args.command)(args):
            print(line, flush=True)
    except ConfigError as error:
        return fail(str(error), status=2)
    except (TmAuthError, StoreError) as error:
        return fail(str(error))
    except KeyboardInterrupt:
        return fail("interrupted: nothing stored", status=130)
    except BrokenPipeError:  # ``pytest-tm-auth status | head -1``: the reader has gone
        reader_gone()
        return 1
    return 0


def reader_gone() -> None:
    """Point standard output at the null device: the interpreter's last flush of what is
    still buffered would otherwise print a second BrokenPipeError as it exits."""
    with contextlib.suppress(OSError, ValueError):
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)


def fail(message: str, *, status: int = 1) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return status


def run() -> None:
    """The console script's entry point."""
    raise SystemExit(main())
