"""What the run root gives its rooms: the plugin objects' base, what a run is doing, and
the one boundary where the plugin's errors become pytest outcomes, and back.

Every mode, in ``run/modes/``, ``run/redaction/`` and ``run/xdist/``, builds on this module
and on the rest of the run root; none imports another room.

At start a bad setting is a usage error (exit 4, one line). In a test, missing credentials
skip it (or fail it under ``--tm-auth-on-missing=fail``) and any other error fails it with
one line, no traceback. The outcome carries the provider's name, so that the summary can
count the tests each provider skipped or failed where that happened (pytest replays a
session fixture's outcome for later tests without calling it again). The other way round:
a hook that calls ``pytest.skip`` or ``pytest.fail`` gives the provider that refusal,
remembered for the run like any other.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar, NoReturn, TypeVar

import pytest

from pytest_tm_auth.core.errors import ConfigError, MissingCredentials, TmAuthError
from pytest_tm_auth.core.values import Values

#: The key of the plugin's data in xdist's ``workerinput`` and ``workeroutput``.
KEY = "tm_auth"
#: The source of the values ``--tm-auth-sandbox`` sets.
SANDBOX_SOURCE = ("sandbox", "--tm-auth-sandbox")
#: Under xdist, through the broker: in a worker, how to post plain data to the controller
#: before the tests run (``post(kind, data)``: whether it was kept); in the controller, what
#: the workers posted, by kind (``run/xdist/broker.py``).
POSTER: pytest.StashKey[Callable[[str, Mapping[str, Any]], bool]] = pytest.StashKey()
POSTED: pytest.StashKey[dict[str, dict[str, Any]]] = pytest.StashKey()
#: Where the controller's broker notes each posting that came whole, as ``"KIND WORKER"``.
WHOLE = "whole"


class HooksOnly:
    """The base of the modes' plugin objects: ``dir()`` lists only the ``pytest_*`` hooks
    the class and its bases define.

    pluggy finds an object's hooks by reading every name ``dir()`` lists, when it is
    registered; pytest's fixture manager reads them all again, for every plugin, when the
    session starts. An instance lists some thirty names it inherits from ``object``, each
    looked up along its class's MRO: about 1 M instructions per plugin object per run.
    """

    __slots__ = ()
    _hooks: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._hooks = tuple(
            sorted(
                {name for base in cls.__mro__ for name in vars(base) if name.startswith("pytest_")}
            )
        )

    def __dir__(self) -> list[str]:
        return list(self._hooks)


def prints_help_only(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "help", False) or getattr(config.option, "markers", False))


def header_shown(config: pytest.Config) -> bool:
    """Whether pytest's terminal reporter will ask for the report header (not under ``-q``)."""
    return (
        config.option.verbose >= 0
        and not getattr(config.option, "no_header", False)
        and not config.pluginmanager.is_blocked("terminal")
    )


def distributing(config: pytest.Config) -> bool:
    """An xdist controller (xdist's cmdline_main has turned ``-n N`` into a dist mode)."""
    return getattr(config.option, "dist", "no") != "no"


def needed_at_start(config: pytest.Config) -> bool:
    """The header shows every provider; xdist shares logins from the controller."""
    return header_shown(config) or hasattr(config, "workerinput") or distributing(config)


def from_controller(config: pytest.Config) -> dict[str, Any]:
    """In an xdist worker: what the controller handed it (empty elsewhere)."""
    workerinput = getattr(config, "workerinput", None)
    shared = workerinput.get(KEY) if isinstance(workerinput, dict) else None
    return shared if isinstance(shared, dict) else {}


def posted_whole(posted: Mapping[str, Any], kind: str, worker: object) -> bool:
    """Whether ``worker`` posted all it had of ``kind`` (its every message kept)."""
    noted = posted.get(WHOLE)
    return isinstance(noted, dict) and noted.get(f"{kind} {worker}") is True


def standin_settings(values: Values) -> dict[str, str]:
    """The settings ``--tm-auth-sandbox`` gave, as plain data for xdist workers."""
    return {
        name: str(item.value)
        for name, item in values.resolved.items()
        if item.source.kind == SANDBOX_SOURCE[0] and item.value is not None
    }


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
