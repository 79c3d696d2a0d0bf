"""A service of your own for the stand-in to serve next to Xray, Zephyr Scale and Jira.

A :class:`Service` is plain data that a recipe defines at import time and hands to
:meth:`Sandbox.add_service <pytest_tm_auth.sandbox.Sandbox.add_service>`. Its routes are
checked when it is made, so a typo fails where it was written, not as a silent 404 later.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

from pytest_tm_auth.sandbox.messages import Handler
from pytest_tm_auth.sandbox.routes import METHODS, Route

if TYPE_CHECKING:
    from pytest_tm_auth.sandbox.server import Sandbox

__all__ = ["RouteSpec", "Service"]

RouteSpec: TypeAlias = tuple[str, str, str, Handler]
"""``(name, method, path_regex, handler)``, as a :class:`Service` lists its routes."""

_SERVICE_NAME = re.compile(r"[a-z][a-z0-9_]*")
_ROUTE_TAIL = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)*")


def path_only(path: str, query: str) -> str:
    """The default target: routes match the path alone, as the built-in ones do."""
    return path


def no_settings(sandbox: Sandbox) -> Mapping[str, str]:
    return {}


@dataclass(frozen=True)
class Service:
    """Routes the stand-in serves under the dotted prefix ``name``, and the settings they need.

    ``routes`` are ``(name, method, path_regex, handler)``. Each name sits under the prefix
    (``notes.list``), so ``count("notes")`` and ``add_faults(route="notes")`` reach the whole
    service. The regex must match all of ``target(path, query)`` (the path, unless the
    service's API travels in the query string); its named groups are the handler's
    ``params``. Handlers take ``(Request, State, params)`` and return a ``Response``, like
    the built-in ones. ``settings(sandbox)`` gives what points its provider at a running
    stand-in, with obviously fake demo credentials.
    """

    name: str
    routes: Sequence[RouteSpec]
    target: Callable[[str, str], str] = path_only
    settings: Callable[[Sandbox], Mapping[str, str]] = no_settings
    compiled: tuple[Route, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not _SERVICE_NAME.fullmatch(self.name):
            raise ValueError(
                f"Service name must be lowercase letters, digits or _ (a route prefix), "
                f"not {self.name!r}"
            )
        if not self.routes:
            raise ValueError(f"Service {self.name!r} has no routes")
        compiled = tuple(self._compile(spec) for spec in self.routes)
        names = [route.name for route in compiled]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"Service {self.name!r} names more than one route {twice[0]!r}")
        object.__setattr__(self, "routes", tuple(self.routes))
        object.__setattr__(self, "compiled", compiled)

    def _compile(self, spec: RouteSpec) -> Route:
        name, method, pattern, handler = spec
        prefix = self.name + "."
        if not (name.startswith(prefix) and _ROUTE_TAIL.fullmatch(name[len(prefix) :])):
            raise ValueError(
                f"Service {self.name!r}: route name {name!r} must be dotted under its prefix, "
                f"like {prefix + 'case'!r}"
            )
        if method not in METHODS:
            raise ValueError(
                f"Service {self.name!r}: route {name!r} has method {method!r}, "
                f"not one of {', '.join(METHODS)}"
            )
        if not callable(handler):
            raise TypeError(f"Service {self.name!r}: route {name!r} has no callable handler")
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ValueError(
                f"Service {self.name!r}: route {name!r} has an invalid path regex: {exc}"
            ) from None
        return Route(name, method, compiled, handler)
