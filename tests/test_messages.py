"""Every way a login can fail gets its own one-line message, worded as users search for it.

Each case drives a real login against the stand-in (a scripted fault, a wrong account, a
wrong URL) and asserts the whole line. Covered elsewhere: a 401 for each provider and
deployment in ``test_login_failure.py``, TLS in ``test_tls.py``, timeouts and refused
connections with their retries in ``test_faults.py``, and the usage errors (malformed URL,
``http://`` to a remote host, a secret with a line break inside, a ``.env`` written on
Windows) in ``test_usage_errors.py`` and ``test_settings.py``. DNS and an unparsable URL
are driven through :func:`~pytest_tm_auth.http.network.explain_exception` with the real
exceptions, built or raised here, since no traffic may leave loopback.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass, field

import pytest
import requests
from urllib3.connection import HTTPConnection
from urllib3.exceptions import MaxRetryError, NameResolutionError

from pytest_tm_auth.http.network import explain_exception
from pytest_tm_auth.sandbox import DEMO, Fault, Sandbox
from pytest_tm_auth.sandbox.server import Deployment
from tests.environment import export


@dataclass(frozen=True)
class Case:
    """A login that fails one way: settings to change, faults to script, the line to see."""

    expected: str
    fixture: str = "xray_token"
    deployment: Deployment = "cloud"
    changes: dict[str, str | None] = field(default_factory=dict)
    faults: tuple[Fault, ...] = ()
    route: str = "xray.authenticate"
    args: tuple[str, ...] = ()


def json_fault(status: int, data: object) -> Fault:
    return Fault(status, body=json.dumps(data), content_type="application/json")


CASES = {
    "400-bad-request": Case(
        "Xray login failed at *: HTTP 400: Bad Request: client_id and client_secret are "
        "required — the service rejected the login request; check the format of "
        "XRAY_CLIENT_ID and XRAY_CLIENT_SECRET (an Xray API key)",
        faults=(Fault(400, body="Bad Request: client_id and client_secret are required"),),
    ),
    "401-bad-credentials": Case(
        "Xray login failed at *: HTTP 401: Authentication failed. Invalid client credentials! "
        "— check XRAY_CLIENT_ID and XRAY_CLIENT_SECRET (an Xray API key)",
        changes={"XRAY_CLIENT_SECRET": "wrong-secret-not-real"},
    ),
    "401-xray-license": Case(
        "Xray login failed at *: HTTP 401: The Xray license is not valid — the Xray license "
        "of this Jira site is not valid: check the Xray subscription",
        changes={"XRAY_CLIENT_ID": DEMO.xray_unlicensed_client_id},
    ),
    "401-other-region": Case(
        "Xray login failed at *: HTTP 401: Xray data is in another region. Contact support "
        "to migrate Xray data to current region. — your Xray data lives in another region: "
        "set --xray-region (XRAY_REGION) to us, eu or au",
        changes={"XRAY_CLIENT_ID": DEMO.xray_other_region_client_id},
    ),
    "403-forbidden": Case(
        "Zephyr Scale login failed at *: HTTP 403: Access denied for this API key — the "
        "credentials were refused: the account lacks permission, or is not valid here",
        fixture="zephyr_session",
        faults=(json_fault(403, {"errorCode": 403, "message": "Access denied for this API key"}),),
        route="zephyr.projects",
    ),
    "404-wrong-base-url": Case(
        "Jira login failed at http://127.0.0.1:*/wrong/rest/api/2/myself: HTTP 404: an HTML "
        "page titled '404 Not Found' — wrong base URL: nothing answers at this path; check "
        "the URL setting",
        fixture="jira_session",
        deployment="datacenter",
        changes={"JIRA_URL": "{url}/wrong"},
    ),
    "404-xray-url-not-xray": Case(
        "Xray login failed at http://127.0.0.1:*/wrong/api/v2/authenticate: HTTP 404: * — no "
        "Xray Cloud API at this URL: for Xray Data Center set --xray-deployment=datacenter *",
        changes={"XRAY_URL": "{url}/wrong"},
    ),
    "cloud-credentials-against-jira-datacenter": Case(
        "Jira login failed at http://127.0.0.1:*/jira/rest/api/2/myself: HTTP 401: Client "
        "must be authenticated to access this resource. — this server answers like Jira Data "
        "Center (X-Seraph-LoginReason), not a Cloud service: use Data Center credentials "
        "(JIRA_TOKEN as a personal access token) and --jira-deployment=datacenter",
        fixture="jira_session",
        changes={"JIRA_URL": "{url}/jira"},
    ),
    "zephyr-cloud-token-against-jira-datacenter": Case(
        "Zephyr Scale login failed at http://127.0.0.1:*/jira/rest/atm/1.0/projects*: HTTP 401*"
        " — this server answers like Jira Data Center (X-Seraph-LoginReason), not a Cloud "
        "service: use Data Center credentials (JIRA_TOKEN as a personal access token) and "
        "--zephyr-deployment=datacenter",
        fixture="zephyr_session",
        changes={"ZEPHYR_URL": "{url}/jira/rest/atm/1.0"},
        # A Zephyr Scale Data Center answers the Cloud check with Jira's refusal.
        faults=(
            Fault(
                401,
                headers={"X-Seraph-LoginReason": "AUTHENTICATED_FAILED"},
                body='{"message": "Client must be authenticated to access this resource."}',
                content_type="application/json",
            ),
        ),
        route="unknown",
    ),
    "401-zephyr-license-is-not-an-xray-license": Case(
        # Vendor advice lives with its provider: Zephyr Scale's 401 is Zephyr Scale's.
        "Zephyr Scale login failed at *: HTTP 401: The license is not valid — check "
        "ZEPHYR_TOKEN: generate an API access token in Jira (Zephyr Scale → API keys)",
        fixture="zephyr_session",
        faults=(Fault(401, body="The license is not valid"),),
        route="zephyr.projects",
    ),
    "xray-cloud-credentials-against-datacenter": Case(
        "Xray login failed at http://127.0.0.1:*/jira/api/v2/authenticate: HTTP 404: * — no "
        "Xray Cloud API at this URL: for Xray Data Center set --xray-deployment=datacenter "
        "with JIRA_URL and JIRA_TOKEN*",
        changes={"XRAY_URL": "{url}/jira"},
    ),
    "datacenter-credentials-against-jira-cloud": Case(
        "Jira login failed at http://127.0.0.1:*/rest/api/2/myself: HTTP 401: Client must "
        "be authenticated to access this resource. — check JIRA_TOKEN (a personal access "
        "token) or JIRA_USERNAME and JIRA_PASSWORD; if this is a Jira Cloud site, use Cloud "
        "credentials instead",
        fixture="jira_session",
        deployment="datacenter",
        changes={"JIRA_URL": "{url}"},
    ),
    "200-html-login-page": Case(
        "Xray login failed at *: HTTP 200 with an HTML page instead of a token — a proxy or SSO "
        "login page answered; check XRAY_URL and the network",
        faults=(Fault.html_page(),),
    ),
    "200-html-instead-of-the-api": Case(
        "Jira login failed at *: HTTP 200 with an HTML page instead of the API — a proxy or "
        "SSO page answered; check the URL setting",
        fixture="jira_session",
        faults=(Fault.html_page(),),
        route="jira.myself",
    ),
    "200-not-a-token": Case(
        "Xray login failed at *: HTTP 200 but the body is not a token — expected a JSON "
        "string; check XRAY_URL points at Xray Cloud",
        faults=(json_fault(200, {"token": "demo-not-a-token"}),),
    ),
    "200-empty-token": Case(
        "Xray login failed at *: the service answered an empty token",
        faults=(json_fault(200, ""),),
    ),
    "proxy-502-page": Case(
        "Xray login failed at *: HTTP 502 after 2 attempts: an HTML page titled 'Sign in - "
        "Corporate Proxy' — the service is rate-limiting or unavailable; try again later or "
        "raise --tm-auth-retries",
        faults=(Fault.html_page(502), Fault.html_page(502)),
        args=("--tm-auth-retries=1",),
    ),
    "captcha": Case(
        "Jira login failed at *: HTTP 403: an HTML page titled 'Forbidden' — Jira asks for a "
        "CAPTCHA after failed logins: log in once through the browser as this user, then "
        "run again",
        fixture="jira_session",
        deployment="datacenter",
        changes={
            "JIRA_TOKEN": None,
            "JIRA_USERNAME": DEMO.jira_username,
            "JIRA_PASSWORD": DEMO.jira_password,
        },
        faults=(
            Fault(
                403,
                headers={"X-Seraph-LoginReason": "AUTHENTICATION_DENIED"},
                body="<html><head><title>Forbidden</title></head></html>",
                content_type="text/html",
            ),
        ),
        route="jiradc.myself",
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_failed_login_says_what_happened_and_what_to_do(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, case: Case
) -> None:
    export(monkeypatch, sandbox, case.deployment)
    for name, change in case.changes.items():
        if change is None:
            monkeypatch.delenv(name)
        else:
            monkeypatch.setenv(name, change.format(url=sandbox.url))
    sandbox.add_faults(*case.faults, route=case.route)
    pytester.makepyfile(f"def test_needs_it({case.fixture}): pass")

    result = pytester.runpytest("-p", "no:cacheprovider", *case.args)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([case.expected, "*: failed: " + case.expected])
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output
    assert "pytest_tm_auth/" not in output
    assert "requests/" not in output


def test_a_host_that_does_not_resolve_is_named() -> None:
    """The exception requests raises when DNS fails, built here: no lookup leaves loopback."""
    url = "https://xray.example.invalid/api/v2/authenticate"
    connection = HTTPConnection("xray.example.invalid", 443)
    failure = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    unresolved = NameResolutionError("xray.example.invalid", connection, failure)
    error = requests.ConnectionError(MaxRetryError(None, "/api/v2/authenticate", unresolved))  # type: ignore[arg-type]

    message = str(explain_exception("Xray", url, error))

    assert message == (
        f"Xray login failed at {url}: the host name xray.example.invalid does not resolve "
        "(DNS) — check the URL for typos, and the network or VPN"
    )


def test_a_url_requests_cannot_parse_is_named() -> None:
    # A port out of range: every urllib3 2 refuses it before any lookup (a space in the host
    # name only from urllib3 2.8 on; before, the host is sent to DNS percent-encoded).
    url = "https://example.test:99999/api/v2/authenticate"
    with pytest.raises(requests.exceptions.InvalidURL) as raised:
        requests.Session().post(url)

    message = str(explain_exception("Xray", url, raised.value))

    assert message == f"Xray login failed at {url}: the URL is not valid — check the URL setting"
