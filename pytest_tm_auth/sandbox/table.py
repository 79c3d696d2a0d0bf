"""The route table: which method and path reach which handler, under which name.

Names are dotted (``xray.authenticate``) so that tests can count or fault a whole service by
its prefix (``xray``). The built-in routes come first and win: a request any of them knows,
even by the wrong method, never reaches an added service, so adding one cannot change how
the built-in services answer. Anything unmatched is ``unknown``: a 404 HTML page, like a
web server reached at the wrong base URL.

The table knows no service: the built-in routes are handed to it, and an added service is
anything with a prefix, compiled routes and a target (:class:`Routed`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from pytest_tm_auth.sandbox.messages import (
    Handler,
    Request,
    Response,
    html_response,
    text_response,
)
from pytest_tm_auth.sandbox.state import State, route_matches

__all__ = [
    "METHODS",
    "AddedT",
    "Resolution",
    "Route",
    "RouteTable",
    "Routed",
    "not_found",
]

#: The methods the request handler dispatches; a route with another could never be reached.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    pattern: re.Pattern[str]
    handler: Handler


class Routed(Protocol):
    """What the table needs of an added service: its prefix, its routes, what they match."""

    @property
    def name(self) -> str: ...

    @property
    def compiled(self) -> tuple[Route, ...]: ...

    @property
    def target(self) -> Callable[[str, str], str]: ...


AddedT = TypeVar("AddedT", bound=Routed)


_NOT_FOUND_PAGE = """<!DOCTYPE html>
<html><head><title>404 Not Found</title></head>
<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>
"""


@dataclass(frozen=True)
class Resolution:
    """The route's name (``unknown`` if none), its route if the method fits, and path params."""

    name: str
    route: Route | None = None
    params: dict[str, str] = field(default_factory=dict)
    allowed: tuple[str, ...] = ()


def _scan(routes: tuple[Route, ...], method: str, wanted: str, misses: list[Route]) -> Resolution:
    """The first route matching ``wanted`` by ``method``; those matching by path go to misses."""
    for route in routes:
        match = route.pattern.fullmatch(wanted)
        if match is None:
            continue
        if route.method == method:
            params = {k: v for k, v in match.groupdict().items() if v is not None}
            return Resolution(route.name, route, params)
        misses.append(route)
    if misses:
        return Resolution(misses[0].name, allowed=tuple(r.method for r in misses))
    return Resolution("unknown")


def _target_failed(request: Request, state: State, params: Mapping[str, str]) -> Response:
    return text_response(500, "Internal Server Error")


class RouteTable(Generic[AddedT]):
    """The built-in routes, then those of each service added, in the order they were added.

    Handler threads resolve while a test may add a service: an addition replaces the whole
    tuple of services under a lock, and a resolution reads that tuple once, so it sees the
    table from before or after an addition, never half of one.
    """

    def __init__(self, built_in: tuple[Route, ...]) -> None:
        self._lock = threading.Lock()
        self._built_in = built_in
        self._services: tuple[AddedT, ...] = ()
        self._names = frozenset({route.name for route in built_in} | {"unknown"})

    @property
    def names(self) -> frozenset[str]:
        """Every route name served, ``unknown`` included."""
        return self._names

    @property
    def services(self) -> tuple[AddedT, ...]:
        return self._services

    def add(self, service: AddedT) -> None:
        """Serve ``service`` from the next request on; its prefix must be new to the table."""
        with self._lock:
            taken = sorted(name for name in self._names if route_matches(name, service.name))
            if taken:
                raise ValueError(
                    f"cannot add service {service.name!r}: the stand-in already serves "
                    f"{', '.join(taken)}; give the service a prefix of its own"
                )
            self._names = self._names | {route.name for route in service.compiled}
            self._services = (*self._services, service)

    def resolve(self, method: str, path: str, query: str) -> Resolution:
        """Find the route; a known path with the wrong method yields the methods it allows."""
        misses: list[Route] = []
        found = _scan(self._built_in, method, path, misses)
        if found.name != "unknown":
            return found
        for service in self._services:
            try:
                wanted = service.target(path, query)
            except Exception:  # a bug in a service's target must still produce an answer
                broken = Route(service.name, method, re.compile(""), _target_failed)
                return Resolution(service.name, broken)
            found = _scan(service.compiled, method, wanted, misses)
            if found.route is not None:
                return found
        return found


def not_found() -> Response:
    return html_response(404, _NOT_FOUND_PAGE)
