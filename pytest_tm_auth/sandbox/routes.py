"""The route table: which method and path reach which handler, under which name.

Names are dotted (``xray.authenticate``) so that tests can count or fault a whole service by
its prefix (``xray``). Anything unmatched is ``unknown``: a 404 HTML page, like a web server
reached at the wrong base URL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pytest_tm_auth.sandbox import (
    datacenter,
    jira,
    testrail,
    xray,
    xray_dc,
    zephyr,
    zephyr_dc,
)
from pytest_tm_auth.sandbox.messages import Handler, Response, html_response

__all__ = ["ROUTES", "TESTRAIL_SCRIPT", "Resolution", "Route", "not_found", "resolve", "target"]

TESTRAIL_SCRIPT = "/testrail/index.php"


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    pattern: re.Pattern[str]
    handler: Handler


def _route(name: str, method: str, pattern: str, handler: Handler) -> Route:
    return Route(name, method, re.compile(pattern), handler)


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
    _route("jiradc.myself", "GET", r"/jira/rest/api/(?:2|latest)/myself", datacenter.myself),
    _route("xraydc.test", "GET", _RAVEN + r"/api/test", xray_dc.tests),
    _route(
        "xraydc.import",
        "POST",
        _RAVEN + r"/import/execution(?:/[a-z]+)?",
        xray_dc.import_execution,
    ),
    _route("zephyr.healthcheck", "GET", r"/v2/healthcheck", zephyr.healthcheck),
    _route("zephyr.projects", "GET", r"/v2/projects", zephyr.projects),
    _route("zephyr.testcase", "GET", r"/v2/testcases/" + _KEY, zephyr.testcase),
    _route("zephyr.testcycles", "GET", r"/v2/testcycles", zephyr.testcycles),
    _route("zephyr.testexecutions", "POST", r"/v2/testexecutions", zephyr.testexecutions),
    _route("zephyrdc.healthcheck", "GET", _ATM + r"/healthcheck/?", zephyr_dc.healthcheck),
    _route("zephyrdc.search", "GET", _ATM + r"/testcase/search", zephyr_dc.search),
    _route("zephyrdc.testcase", "GET", _ATM + r"/testcase/" + _KEY, zephyr_dc.testcase),
    _route("zephyrdc.testrun", "POST", _ATM + r"/testrun", zephyr_dc.testrun),
    _route(
        "testrail.user",
        "GET",
        re.escape(TESTRAIL_SCRIPT) + r"\?/api/v2/get_current_user",
        testrail.current_user,
    ),
    _route(
        "testrail.case",
        "GET",
        re.escape(TESTRAIL_SCRIPT) + r"\?/api/v2/get_case/(?P<id>[^/&]+)",
        testrail.get_case,
    ),
)

_NOT_FOUND_PAGE = """<!DOCTYPE html>
<html><head><title>404 Not Found</title></head>
<body><h1>Not Found</h1><p>The requested URL was not found on this server.</p></body></html>
"""


def target(path: str, query: str) -> str:
    """What routes match against: the path, plus TestRail's API path from the query string."""
    if path == TESTRAIL_SCRIPT:
        return f"{path}?{query.split('&', 1)[0]}"
    return path


@dataclass(frozen=True)
class Resolution:
    """The route's name (``unknown`` if none), its route if the method fits, and path params."""

    name: str
    route: Route | None = None
    params: dict[str, str] = field(default_factory=dict)
    allowed: tuple[str, ...] = ()


def resolve(method: str, path: str, query: str) -> Resolution:
    """Find the route; a known path with the wrong method yields the methods it allows."""
    wanted = target(path, query)
    misses: list[Route] = []
    for route in ROUTES:
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


def not_found() -> Response:
    return html_response(404, _NOT_FOUND_PAGE)
