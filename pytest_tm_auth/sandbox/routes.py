"""The built-in routes: which method and path reach which service's handler, by name.

Cloud services live at the root (Xray ``/api/v2``, Jira ``/rest/api``, Zephyr ``/v2/``);
Jira Data Center, with Xray and Zephyr Scale Data Center, under ``/jira``. The first route
that matches wins; :class:`~pytest_tm_auth.sandbox.table.RouteTable` serves them.
"""

from __future__ import annotations

import re

from pytest_tm_auth.sandbox.messages import Handler
from pytest_tm_auth.sandbox.services import (
    jira,
    oauth,
    xray,
    xray_results,
    zephyr,
    zephyr_results,
    zephyr_uploads,
)
from pytest_tm_auth.sandbox.table import Route

__all__ = ["ROUTES"]


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
    _route("jira.myself", "GET", r"/rest/api/[23]/myself", jira.cloud_myself),
    *_both("jira.search", r"/rest/api/[23]/search", jira.removed),
    *_both("jira.search_jql", r"/rest/api/[23]/search/jql", jira.search_jql),
    _route("jira.tenant_info", "GET", r"/_edge/tenant_info", jira.tenant_info),
    _route("jira.serverinfo", "GET", r"/rest/api/2/serverInfo", jira.cloud_server_info),
    _route("gateway.myself", "GET", _GATEWAY + r"/rest/api/[23]/myself", jira.gateway_myself),
    *_both("gateway.search", _GATEWAY + r"/rest/api/[23]/search", jira.removed),
    *_both("gateway.search_jql", _GATEWAY + r"/rest/api/[23]/search/jql", jira.gateway_search_jql),
    _route("oauth.token", "POST", r"/oauth/token", oauth.cloud_token),
    _route("jiradc.oauth", "POST", r"/jira/rest/oauth2/latest/token", oauth.dc_token),
    _route("jiradc.serverinfo", "GET", r"/jira/rest/api/2/serverInfo", jira.dc_server_info),
    _route("jiradc.myself", "GET", r"/jira/rest/api/(?:2|latest)/myself", jira.dc_myself),
    *_both("jiradc.search", r"/jira/rest/api/(?:2|latest)/search", jira.dc_search),
    _route("xraydc.test", "GET", _RAVEN + r"/api/test", xray.dc_tests),
    _route(
        "xraydc.import",
        "POST",
        _RAVEN + r"/import/execution(?:/(?P<format>[a-z]+))?",
        xray.dc_import_execution,
    ),
    _route(
        "xraydc.testexec",
        "GET",
        _RAVEN + r"/api/testexec/(?P<key>[A-Z][A-Z0-9_]*-[0-9]{1,9})/test",
        xray_results.dc_runs,
    ),
    _route(
        "jiradc.issue", "POST", r"/jira/rest/api/(?:2|latest)/issue", xray_results.dc_create_issue
    ),
    _route("zephyr.healthcheck", "GET", r"/v2/healthcheck", zephyr.healthcheck),
    _route("zephyr.projects", "GET", r"/v2/projects", zephyr.projects),
    _route("zephyr.testcases", "GET", r"/v2/testcases", zephyr.testcases),
    _route("zephyr.testcase", "GET", r"/v2/testcases/" + _KEY, zephyr.testcase),
    _route("zephyr.testcycles", "GET", r"/v2/testcycles", zephyr.testcycles),
    _route("zephyr.testexecutions", "GET", r"/v2/testexecutions", zephyr.list_testexecutions),
    _route("zephyr.testexecutions", "POST", r"/v2/testexecutions", zephyr_results.testexecutions),
    _route("zephyr.testcycles", "POST", r"/v2/testcycles", zephyr_results.create_cycle),
    _route(
        "zephyr.automation",
        "POST",
        r"/v2/automations/executions/custom",
        zephyr_uploads.cloud_custom,
    ),
    _route(
        "zephyr.automation", "POST", r"/v2/automations/executions/junit", zephyr_uploads.cloud_junit
    ),
    _route("zephyrdc.healthcheck", "GET", _ATM + r"/healthcheck/?", zephyr.dc_healthcheck),
    _route("zephyrdc.search", "GET", _ATM + r"/testcase/search", zephyr.dc_search),
    _route("zephyrdc.testcase", "GET", _ATM + r"/testcase/" + _KEY, zephyr.dc_testcase),
    _route("zephyrdc.testrun", "POST", _ATM + r"/testrun", zephyr_results.dc_testrun),
    _route(
        "zephyrdc.runsearch", "GET", _ATM + r"/testrun/search", zephyr_results.dc_testrun_search
    ),
    _route(
        "zephyrdc.runresults",
        "GET",
        _ATM + r"/testrun/(?P<key>[A-Za-z][A-Za-z0-9_]*-C[0-9]{1,9})/testresults",
        zephyr_results.dc_testrun_results,
    ),
    _route(
        "zephyrdc.testresults",
        "POST",
        _ATM + r"/testrun/(?P<key>[A-Za-z][A-Za-z0-9_]*-C[0-9]{1,9})/testresults",
        zephyr_results.dc_testresults,
    ),
    _route(
        "zephyrdc.attachments",
        "POST",
        _ATM + r"/testresult/(?P<id>[0-9]{1,9})/attachments",
        zephyr_results.dc_attachment,
    ),
    _route(
        "zephyrdc.automation",
        "POST",
        _ATM + r"/automation/execution/(?P<project>[A-Za-z][A-Za-z0-9_]*)",
        zephyr_uploads.dc_automation,
    ),
)
