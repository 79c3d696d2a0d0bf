"""A provider of your own: a TestRail service, logged in to once per run like the built-ins.

Declaring three settings gives each an option, an ini key and an environment variable
(``--testrail-url``, ``testrail_url``, ``TESTRAIL_URL``; likewise ``_user`` and ``_api_key``),
listed in ``pytest --help`` and resolved with the usual precedence. The provider gets a
report-header and a summary line, tests that need it are skipped while it is not configured,
the API key stays out of every output, and ``tm_auth.session("testrail")`` logs in once.

``standin.py`` is a small TestRail that :func:`pytest_tm_auth_sandbox` adds to the stand-in
``--tm-auth-sandbox`` starts, which then also fills in the three settings; so this runs with
no account::

    pytest examples/recipes/testrail --tm-auth-sandbox
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest
import requests

from pytest_tm_auth import (
    Login,
    Provider,
    Setting,
    Target,
    TmAuth,
    Token,
    Values,
    api_base,
    missing,
    site_url,
    verify_token,
)

if TYPE_CHECKING:
    from pytest_tm_auth.sandbox import Sandbox

URL = Setting(
    "testrail_url", "TestRail site, e.g. https://example.testrail.io", label="url", metavar="URL"
)
USER = Setting("testrail_user", "TestRail user (the account email)", label="user")
API_KEY = Setting(
    "testrail_api_key",
    "TestRail API key (My Settings, API Keys)",
    secret=True,
    label="API key",
)


class TestRailProvider:
    """TestRail's API v2: basic auth with a user and an API key, checked once per run."""

    name = "testrail"
    title = "TestRail"
    settings = (URL, USER, API_KEY)

    def target(self, values: Values) -> Target:
        """Where to log in, from the settings alone; says which ones to set when any is not."""
        unset = [setting for setting in self.settings if not values.text(setting.name)]
        if unset:
            raise missing(self.title, ("", unset))
        url = site_url(values, URL.name)
        host = urlsplit(url).hostname or ""
        deployment = "cloud" if host.endswith(".testrail.io") else "server"
        # TestRail routes its API through index.php's query string: tests join paths such as
        # "index.php?/api/v2/get_case/1" to the site itself.
        return Target(deployment, url, api_base(url), credentials=(USER.name, API_KEY.name))

    def authenticate(self, login: Login) -> Token:
        """TestRail issues no token: prove the user and key once with a cheap request."""
        user, key = login.values.text(USER.name), login.values.text(API_KEY.name)
        token = Token.basic(self.name, user or "", key or "")
        return verify_token(
            login,
            token,
            "index.php?/api/v2/get_current_user",
            credentials="TESTRAIL_USER and TESTRAIL_API_KEY",
        )


def pytest_tm_auth_add_providers() -> Iterable[Provider]:
    return [TestRailProvider()]


def pytest_tm_auth_sandbox(sandbox: Sandbox) -> None:
    """With ``--tm-auth-sandbox``: serve the demo TestRail too, and so get its settings."""
    # Imported here, so a run against a real TestRail never loads the stand-in. Pytest puts
    # this directory on sys.path; mypy knows the module only by its path in the repository.
    from standin import TESTRAIL  # type: ignore[import-not-found]

    sandbox.add_service(TESTRAIL)


@pytest.fixture(scope="session")
def testrail_session(tm_auth: TmAuth) -> requests.Session:
    """A ``requests.Session`` for TestRail: paths join the site URL, auth is set."""
    return tm_auth.session("testrail")
