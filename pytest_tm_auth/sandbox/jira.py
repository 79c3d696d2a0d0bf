"""Jira Cloud ``/myself``: email + API token only; passwords are refused as on the real site."""

from __future__ import annotations

from collections.abc import Mapping

from pytest_tm_auth.sandbox.demo import DEMO
from pytest_tm_auth.sandbox.messages import (
    Request,
    Response,
    json_response,
    same_secret,
    text_response,
)
from pytest_tm_auth.sandbox.state import State

__all__ = [
    "NOT_AUTHENTICATED",
    "PASSWORD_DEPRECATED",
    "cloud_user",
    "myself",
    "user_answer",
]

NOT_AUTHENTICATED = {
    "message": "Client must be authenticated to access this resource.",
    "status-code": 401,
}
PASSWORD_DEPRECATED = (
    "Basic authentication with passwords is deprecated. For more information, see: "
    "https://developer.atlassian.com/cloud/confluence/deprecation-notice-basic-auth/"
)


def user_answer(request: Request, who: str) -> Response:
    """``/myself``'s 200: the demo user (``who`` is recorded as the caller)."""
    user = {
        "self": f"{request.base_url}/rest/api/2/user?accountId={DEMO.jira_account_id}",
        "accountId": DEMO.jira_account_id,
        "accountType": "atlassian" if "@" in who else "app",
        "emailAddress": DEMO.jira_email,
        "displayName": DEMO.jira_display_name,
        "active": True,
        "timeZone": "Etc/UTC",
    }
    response = json_response(200, user)
    response.user = who
    return response


def cloud_user(request: Request) -> str | Response:
    """Who the site's Basic email:API-token identifies, or the refusal Jira Cloud sends."""
    credentials = request.credentials
    if credentials.scheme == "basic" and credentials.user is not None:
        if credentials.user == DEMO.jira_email and same_secret(
            credentials.secret, DEMO.jira_api_token
        ):
            return DEMO.jira_email
        if credentials.user in {DEMO.jira_email, DEMO.jira_username} and same_secret(
            credentials.secret, DEMO.jira_password
        ):
            return text_response(401, PASSWORD_DEPRECATED)
    return json_response(401, NOT_AUTHENTICATED)


def myself(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET /rest/api/{2,3}/myself`` on Jira Cloud."""
    who = cloud_user(request)
    return who if isinstance(who, Response) else user_answer(request, who)
