"""Jira Data Center's login rules, shared by Jira, Xray and Zephyr Scale Data Center.

A personal access token as Bearer or ``user:password`` as Basic; Seraph's headers on every
answer; after repeated failed basic logins the account needs a CAPTCHA (403).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

from pytest_tm_auth.sandbox import oauth
from pytest_tm_auth.sandbox.demo import DEMO
from pytest_tm_auth.sandbox.jira import NOT_AUTHENTICATED
from pytest_tm_auth.sandbox.messages import (
    Handler,
    Request,
    Response,
    html_response,
    json_response,
    same_secret,
)
from pytest_tm_auth.sandbox.state import State

__all__ = ["myself", "signed_in"]

_DENIED_PAGE = """<!DOCTYPE html>
<html><head><title>Forbidden</title></head>
<body><p>You have tried to log in too many times. Log in through the browser and answer the
CAPTCHA before using the REST API again.</p></body></html>
"""

_SignedIn = Callable[[Request, State, Mapping[str, str], str], Response]


def _failed() -> Response:
    return json_response(401, NOT_AUTHENTICATED, {"X-Seraph-LoginReason": "AUTHENTICATED_FAILED"})


def _login(request: Request, state: State) -> Response | str:
    """The signed-in user name, or the refusal to send instead."""
    credentials = request.credentials
    if credentials.scheme == "bearer":
        if same_secret(credentials.secret, DEMO.jira_pat):
            return DEMO.jira_username
        client = oauth.accepts(state, credentials.secret, DEMO.dc_client_id)
        return client if client is not None else _failed()
    if credentials.scheme == "basic" and credentials.user is not None:
        user = credentials.user
        if state.login_denied(user):
            login_url = f"{request.base_url}/jira/login.jsp"
            headers = {
                "X-Seraph-LoginReason": "AUTHENTICATION_DENIED",
                "X-Authentication-Denied-Reason": f"CAPTCHA_CHALLENGE; login-url={login_url}",
            }
            return html_response(403, _DENIED_PAGE, headers)
        if user == DEMO.jira_username and same_secret(credentials.secret, DEMO.jira_password):
            state.login_succeeded(user)
            return user
        state.login_failed(user)
        return _failed()
    if credentials.scheme is None:
        return json_response(401, NOT_AUTHENTICATED)
    return _failed()


def signed_in(handler: _SignedIn) -> Handler:
    """Wrap ``handler`` so it runs only for a signed-in user, with Seraph's headers added."""

    @functools.wraps(handler)
    def checked(request: Request, state: State, params: Mapping[str, str]) -> Response:
        login = _login(request, state)
        if isinstance(login, Response):
            return login
        response = handler(request, state, params, login)
        response.headers.setdefault("X-Seraph-LoginReason", "OK")
        response.headers["X-AUSERNAME"] = login
        response.user = login
        return response

    return checked


@signed_in
def myself(request: Request, state: State, params: Mapping[str, str], user: str) -> Response:
    """``GET {jira}/rest/api/2/myself`` on Data Center."""
    base = f"{request.base_url}/jira"
    return json_response(
        200,
        {
            "self": f"{base}/rest/api/2/user?username={user}",
            "key": "JIRAUSER10000",
            "name": user,
            "emailAddress": DEMO.jira_email,
            "displayName": DEMO.jira_display_name,
            "active": True,
            "timeZone": "Etc/UTC",
        },
    )
