"""A tiny TestRail for the stand-in, so this recipe runs with no account.

The conftest registers :data:`TESTRAIL` with the stand-in that ``--tm-auth-sandbox`` starts.
TestRail routes its API through ``index.php``'s query string (``index.php?/api/v2/...``),
so the service's target puts that API path after the script's path for its routes to match.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from pytest_tm_auth.sandbox import (
    Handler,
    Request,
    Response,
    Sandbox,
    Service,
    State,
    json_response,
    same_secret,
)

__all__ = ["API_KEY", "SCRIPT", "SITE", "TESTRAIL", "USER"]

#: Demo credentials: obviously fake, and accepted by this stand-in only.
USER = "demo.user@example.com"
API_KEY = "demo-testrail-api-key-not-real"

SITE = "/testrail"  # the site's path on the stand-in: testrail_url is the stand-in's URL + SITE
SCRIPT = SITE + "/index.php"
AUTH_FAILED = "Authentication failed: invalid or missing user/password or session cookie."


def _target(path: str, query: str) -> str:
    """The script's path plus the API path, the first part of its query string."""
    if path == SCRIPT:
        return f"{path}?{query.split('&', 1)[0]}"
    return path


def _basic(handler: Handler) -> Handler:
    """Wrap ``handler`` so it runs only for the demo user and API key."""

    @functools.wraps(handler)
    def checked(request: Request, state: State, params: Mapping[str, str]) -> Response:
        credentials = request.credentials
        if not (
            credentials.scheme == "basic"
            and credentials.user == USER
            and same_secret(credentials.secret, API_KEY)
        ):
            return json_response(401, {"error": AUTH_FAILED})
        return handler(request, state, params)

    return checked


@_basic
def current_user(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``index.php?/api/v2/get_current_user``: the cheap check the provider logs in with."""
    return json_response(200, {"id": 1, "email": USER, "name": "Demo User", "is_active": True})


@_basic
def get_case(request: Request, state: State, params: Mapping[str, str]) -> Response:
    """``index.php?/api/v2/get_case/{id}``: only case 1 exists."""
    if params["id"] != "1":
        return json_response(400, {"error": "Field :case_id is not a valid test case."})
    return json_response(200, {"id": 1, "title": "Demo case", "section_id": 1, "type_id": 1})


def _settings(sandbox: Sandbox) -> dict[str, str]:
    """What points the recipe's provider at the stand-in, as ``--tm-auth-sandbox`` fills in."""
    return {
        "testrail_url": sandbox.url + SITE,
        "testrail_user": USER,
        "testrail_api_key": API_KEY,
    }


_API = re.escape(SCRIPT) + r"\?/api/v2"

TESTRAIL = Service(
    "testrail",
    [
        ("testrail.user", "GET", _API + r"/get_current_user", current_user),
        ("testrail.case", "GET", _API + r"/get_case/(?P<id>[^/&]+)", get_case),
    ],
    target=_target,
    settings=_settings,
)
