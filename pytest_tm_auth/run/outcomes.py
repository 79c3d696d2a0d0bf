"""The one boundary where the plugin's errors become pytest outcomes, and back.

At start a bad setting is a usage error (exit 4, one line). In a test, missing credentials
skip it (or fail it under ``--tm-auth-on-missing=fail``) and any other error fails it with
one line, no traceback. The outcome carries the provider's name, so that the summary can
count the tests each provider skipped or failed where that happened (pytest replays a
session fixture's outcome for later tests without calling it again).

The other way round: a hook that calls ``pytest.skip`` or ``pytest.fail`` gives the
provider that refusal, remembered for the run like any other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import NoReturn, TypeVar

import pytest

from pytest_tm_auth.core.errors import ConfigError, MissingCredentials, TmAuthError

#: The attribute that names the provider on a skip or failure this module raised.
PROVIDER = "tm_auth_provider"

T = TypeVar("T")


@contextlib.contextmanager
def usage_errors() -> Iterator[None]:
    """At start: a :class:`ConfigError` becomes ``pytest.UsageError`` (one line, exit 4)."""
    try:
        yield
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


def fail_test(
    problem: TmAuthError,
    *,
    scrub: Callable[[str], str],
    on_missing: str = "skip",
    provider: str | None = None,
) -> NoReturn:
    """End the asking test: skipped for missing credentials (unless ``on_missing`` is
    ``fail``), failed with the one-line message for anything else."""
    __tracebackhide__ = True
    message = scrub(str(problem))
    outcome: BaseException
    if isinstance(problem, MissingCredentials) and on_missing != "fail":
        outcome = pytest.skip.Exception(message)
    else:
        outcome = pytest.fail.Exception(message, pytrace=False)
    if provider is not None:
        setattr(outcome, PROVIDER, provider)
    raise outcome


def raised_by(excinfo: pytest.ExceptionInfo[BaseException] | None) -> tuple[str, bool] | None:
    """The provider a test's skip or failure came from, and whether it was a skip."""
    if excinfo is None:
        return None
    name = getattr(excinfo.value, PROVIDER, None)
    if not isinstance(name, str):
        return None
    return name, isinstance(excinfo.value, pytest.skip.Exception)


def from_hook(call: Callable[[], T]) -> T:
    """``call()`` of a team's hook: its ``pytest.skip`` or ``pytest.fail`` becomes the
    provider's refusal; ``pytest.exit`` ends the run as it should."""
    try:
        return call()
    except pytest.skip.Exception as exc:  # the same for every test that needs the provider
        raise MissingCredentials(str(exc.msg)) from None
    except pytest.fail.Exception as exc:  # never tried again either
        raise TmAuthError(str(exc.msg)) from None
