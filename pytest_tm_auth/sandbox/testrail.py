"""A tiny TestRail, for the custom-provider example: the API path travels in the query string."""

from __future__ import annotations

import functools
from collections.abc import Mapping

from pytest_tm_auth.sandbox.demo import DEMO
from pytest_tm_auth.sandbox.messages import Handler, Request, Response, json_response, same_secret
from pytest_tm_auth.sandbox.state import State

__all__ = ["current_user", "get_case"]

AUTH_FAILED = "Authentication failed: invalid or missing user/password or session cookie."


def _basic(handler: Handler) -> Handler:
    """Wrap ``handler`` so it runs only for the demo user and API key."""

    @functools.wraps(handler)
    def checked(request: Request, state: State, params: Mapping[str, str]) -> Response:
        credentials = request.credentials
        if not (
            credentials.scheme == "basic"
            and credentials.user == DEMO.testrail_user
            and same_secret(credentials.secret, DEMO.testrail_api_key)
        ):
            return json_response(401, {"error": AUTH_FAILED})
        return handler(request, state, params)

    return checked


@_basic
def current_user(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``index.php?/api/v2/get_current_user``."""
    user = {"id": 1, "email": DEMO.testrail_user, "name": "Demo User", "is_active": True}
    return json_response(200, user)


@_basic
def get_case(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``index.php?/api/v2/get_case/{id}``: only case 1 exists."""
    if params["id"] != "1":
        return json_response(400, {"error": "Field :case_id is not a valid test case."})
    return json_response(200, {"id": 1, "title": "Demo case", "section_id": 1, "type_id": 1})
