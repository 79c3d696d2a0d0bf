"""The route table: which method and path reach which handler, under which name.

Names are dotted (``xray.authenticate``) so that tests can count or fault a whole service by
its prefix (``xray``). The built-in routes come first and win: a request any of them knows,
even by the wrong method, never reaches an added service, so adding one cannot change how
the built-in services answer. Anything unmatched is ``unknown``: a 404 HTML page, like a
web server reached at the wrong base URL.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pytest_tm_auth.sandbox import (
    datacenter,
    gateway,
    jira,
    jira_search,
    oauth,
    xray,
    xray_dc,
    zephyr,
    zephyr_dc,
)
from pytest_tm_auth.sandbox.messages import (
    Handler,
    Request,
    Response,
    html_response,
    text_response,
)
from pytest_tm_auth.sandbox.state import State, route_matches

if TYPE_CHECKING:
    from pytest_tm_auth.sandbox.services import Service

__all__ = [
    "BUILT_IN_NAMES",
    "METHODS",
    "ROUTES",
    "Resolution",
    "Route",
    "RouteTable",
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


def _route(name: str, method: str, pattern: str, handler: Handler) -> Route:
    return Route(name, method, re.compile(pattern), handler)


def _both(name: str, pattern: str, handler: Handler) -> tuple[Route, Route]:
    """The same route by GET and by POST, as Jira's searches take either."""
    return _route(name, "GET", pattern, handler), _route(name, "POST", pattern, handler)


_GATEWAY = r"/gateway/ex/jira/(?P<cloud>[^/]+)"
_RAVEN = r"/jira/rest/raven/(?:1\.0|2\.0)"
_ATM = r"/jira/rest/atm/1\.0"
_KEY = r"(?P<key>[A-Za-z][A-Za-z0-9_]*-T[0-9]+)"

ROUTES: tuple[Route, ...] = (
    _route("xray.authenticate", "POST", r"/api/v[12]/authenticate", xray.authenticate),
    _route("xray.graphql", "POST", r"/api/v2/graphql", xray.graphql),
    _route(
        "xray.import",
        "POST",
        r"/api/v[12]/import/execution(?:/(?P<format>[a-z]+))?",
        xray.import_execution,
    ),
    _route("jira.myself", "GET", r"/rest/api/[23]/myself", jira.myself),
    *_both("jira.search", r"/rest/api/[23]/search", jira_search.removed),
    *_both("jira.search_jql", r"/rest/api/[23]/search/jql", jira_search.search_jql),
    _route("jira.tenant_info", "GET", r"/_edge/tenant_info", gateway.tenant_info),
    _route("jira.serverinfo", "GET", r"/rest/api/2/serverInfo", gateway.cloud_server_info),
    _route("gateway.myself", "GET", _GATEWAY + r"/rest/api/[23]/myself", gateway.gateway_myself),
    *_both("gateway.search", _GATEWAY + r"/rest/api/[23]/search", jira_search.removed),
    *_both(
        "gateway.search_jql", _GATEWAY + r"/rest/api/[23]/search/jql", gateway.gateway_search_jql
    ),
    _route("oauth.token", "POST", r"/oauth/token", oauth.cloud_token),
    _route("jiradc.oauth", "POST", r"/jira/rest/oauth2/latest/token", oauth.dc_token),
    _route("jiradc.serverinfo", "GET", r"/jira/rest/api/2/serverInfo", gateway.dc_server_info),
    _route("jiradc.myself", "GET", r"/jira/rest/api/(?:2|latest)/myself", datacenter.myself),
    *_both("jiradc.search", r"/jira/rest/api/(?:2|latest)/search", jira_search.dc_search),
    _route("xraydc.test", "GET", _RAVEN + r"/api/test", xray_dc.tests),
    _route(
        "xraydc.import",
        "POST",
        _RAVEN + r"/import/execution(?:/[a-z]+)?",
        xray_dc.import_execution,
    ),
    _route("zephyr.healthcheck", "GET", r"/v2/healthcheck", zephyr.healthcheck),
    _route("zephyr.projects", "GET", r"/v2/projects", zephyr.projects),
    _route("zephyr.testcases", "GET", r"/v2/testcases", zephyr.testcases),
    _route("zephyr.testcase", "GET", r"/v2/testcases/" + _KEY, zephyr.testcase),
    _route("zephyr.testcycles", "GET", r"/v2/testcycles", zephyr.testcycles),
    _route("zephyr.testexecutions", "GET", r"/v2/testexecutions", zephyr.list_testexecutions),
    _route("zephyr.testexecutions", "POST", r"/v2/testexecutions", zephyr.testexecutions),
    _route("zephyrdc.healthcheck", "GET", _ATM + r"/healthcheck/?", zephyr_dc.healthcheck),
    _route("zephyrdc.search", "GET", _ATM + r"/testcase/search", zephyr_dc.search),
    _route("zephyrdc.testcase", "GET", _ATM + r"/testcase/" + _KEY, zephyr_dc.testcase),
    _route("zephyrdc.testrun", "POST", _ATM + r"/testrun", zephyr_dc.testrun),
)

BUILT_IN_NAMES = frozenset({route.name for route in ROUTES} | {"unknown"})

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


class RouteTable:
    """The built-in routes, then those of each service added, in the order they were added.

    Handler threads resolve while a test may add a service: an addition replaces the whole
    tuple of services under a lock, and a resolution reads that tuple once, so it sees the
    table from before or after an addition, never half of one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._services: tuple[Service, ...] = ()
        self._names = BUILT_IN_NAMES

    @property
    def names(self) -> frozenset[str]:
        """Every route name served, ``unknown`` included."""
        return self._names

    @property
    def services(self) -> tuple[Service, ...]:
        return self._services

    def add(self, service: Service) -> None:
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
        found = _scan(ROUTES, method, path, misses)
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
