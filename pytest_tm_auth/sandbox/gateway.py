"""Jira Cloud's other doors: ``/_edge/tenant_info``, the API gateway, ``serverInfo``.

The gateway lives under :data:`~pytest_tm_auth.sandbox.demo.GATEWAY_PATH` (as
``api.atlassian.com`` is Atlassian's): ``/gateway/ex/jira/{cloudId}/rest/api/{2,3}/myself``
accepts the classic and the scoped API token (Basic) and the service account's OAuth
access token (Bearer); the site accepts only the classic token.
"""

from __future__ import annotations

from collections.abc import Mapping

from pytest_tm_auth.sandbox import jira_search, oauth
from pytest_tm_auth.sandbox.demo import DEMO
from pytest_tm_auth.sandbox.jira import NOT_AUTHENTICATED, user_answer
from pytest_tm_auth.sandbox.messages import Request, Response, json_response, same_secret
from pytest_tm_auth.sandbox.state import State

__all__ = [
    "cloud_server_info",
    "dc_server_info",
    "gateway_myself",
    "gateway_search_jql",
    "gateway_user",
    "tenant_info",
]


def tenant_info(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET /_edge/tenant_info``: the site's cloud id, to anyone."""
    return json_response(200, {"cloudId": DEMO.jira_cloud_id})


def gateway_user(request: Request, state: State, params: Mapping[str, str]) -> str | Response:
    """Who the gateway lets in (classic or scoped token, or an access token), or its refusal."""
    if params.get("cloud") != DEMO.jira_cloud_id:
        return json_response(404, {"message": "Cannot find site for the cloud id"})
    credentials = request.credentials
    tokens = (DEMO.jira_api_token, DEMO.jira_scoped_token)
    if (
        credentials.scheme == "basic"
        and credentials.user == DEMO.jira_email
        and any(same_secret(credentials.secret, token) for token in tokens)
    ):
        return DEMO.jira_email
    if credentials.scheme == "bearer":
        client = oauth.accepts(state, credentials.secret, DEMO.cloud_client_id)
        if client is not None:
            return client
    return json_response(401, NOT_AUTHENTICATED)


def gateway_myself(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET /gateway/ex/jira/{cloudId}/rest/api/{2,3}/myself`` through the API gateway."""
    who = gateway_user(request, state, params)
    return who if isinstance(who, Response) else user_answer(request, who)


def gateway_search_jql(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET|POST /gateway/ex/jira/{cloudId}/rest/api/{2,3}/search/jql``: as on the site."""
    who = gateway_user(request, state, params)
    return who if isinstance(who, Response) else jira_search.search_jql_as(request, state, who)


def cloud_server_info(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET /rest/api/2/serverInfo`` on the Cloud site: ``deploymentType: Cloud``."""
    info = {"baseUrl": request.base_url, "version": "1001.0.0-SNAPSHOT"}
    return json_response(200, info | {"deploymentType": "Cloud"})


def dc_server_info(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``GET /jira/rest/api/2/serverInfo`` on Data Center: ``deploymentType: Server``."""
    info = {"baseUrl": request.base_url + "/jira", "version": "9.12.0"}
    return json_response(200, info | {"deploymentType": "Server"})
