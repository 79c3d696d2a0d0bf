"""What the run root gives its rooms: the plugin objects' base, and what a run is doing.

Every mode, in ``run/modes/``, ``run/redaction/`` and ``run/xdist/``, builds on this module
and on the rest of the run root; none imports another room.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import pytest

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
