"""OAuth 2.0 client credentials: Atlassian's token endpoint and Jira Data Center's.

Cloud ``POST /oauth/token`` takes JSON (as Atlassian's docs show) or a form; Data Center
``POST /jira/rest/oauth2/latest/token`` takes a form only, as documented. Both answer
``access_token`` and ``expires_in`` (:attr:`State.oauth_lifetime`), and refuse a wrong
client as OAuth 2.0 says: ``{"error": ..., "error_description": ...}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from pytest_tm_auth.sandbox.demo import DEMO
from pytest_tm_auth.sandbox.messages import Request, Response, json_response, same_secret
from pytest_tm_auth.sandbox.state import State, TokenRejected

__all__ = ["accepts", "cloud_token", "dc_token"]


def _error(status: int, error: str, description: str) -> Response:
    return json_response(status, {"error": error, "error_description": description})


def _fields(request: Request, *, json_allowed: bool) -> dict[str, Any] | Response:
    if request.media_type == "application/x-www-form-urlencoded":
        form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {name: values[0] for name, values in form.items()}
    if json_allowed and request.media_type == "application/json":
        try:
            data = request.json()
        except ValueError:
            return _error(400, "invalid_request", "the body is not valid JSON")
        if isinstance(data, dict):
            return data
    return _error(400, "invalid_request", "Unsupported content type")


def _grant(fields: Mapping[str, Any], client_id: str, secret: str, state: State) -> Response:
    if fields.get("grant_type") != "client_credentials":
        return _error(400, "unsupported_grant_type", "grant_type must be client_credentials")
    given_id, given_secret = fields.get("client_id"), fields.get("client_secret")
    if not (isinstance(given_id, str) and isinstance(given_secret, str)):
        return _error(400, "invalid_request", "client_id and client_secret are required")
    if given_id != client_id or not same_secret(given_secret, secret):
        return _error(401, "access_denied", "Unauthorized")
    token = state.issue_xray_token(client_id, state.oauth_lifetime)  # a JWT with aud, exp
    body = {"access_token": token, "token_type": "Bearer", "expires_in": state.oauth_lifetime}
    return json_response(200, body | {"scope": "read:jira-user read:jira-work"})


def cloud_token(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``POST /oauth/token`` as ``auth.atlassian.com`` answers a service account."""
    fields = _fields(request, json_allowed=True)
    if isinstance(fields, Response):
        return fields
    client, secret = DEMO.cloud_client_id, DEMO.cloud_client_secret
    return _grant(fields, client, secret, state)


def dc_token(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``POST {jira}/rest/oauth2/latest/token``, form-encoded, as Jira Data Center answers."""
    fields = _fields(request, json_allowed=False)
    if isinstance(fields, Response):
        return fields
    response = _grant(fields, DEMO.dc_client_id, DEMO.dc_client_secret, state)
    if response.status == 401:
        return _error(401, "invalid_client", "Client authentication failed")
    return response


def accepts(state: State, token: str, client_id: str) -> str | None:
    """``client_id`` if the access token was issued to it and is valid, else ``None``."""
    try:
        claims = state.check_xray_token(token)
    except TokenRejected:
        return None
    return client_id if claims.get("aud") == client_id else None
