"""A wrapped login: code around every login, and a header on every request to the services.

Say a gateway in front of Xray, Zephyr Scale and Jira passes only requests that carry
``X-Request-Source``. A hook wrapper around ``pytest_tm_auth_authenticate`` runs before
and after each built-in login: it adds the header to the login call (``login.http``) and
gets the token back (it could inspect, replace or refuse it). ``pytest_tm_auth_session``
adds the same header to the sessions tests use::

    pytest examples/recipes/wrapped_login --tm-auth-sandbox
"""

from __future__ import annotations

from collections.abc import Generator

import pytest
import requests

from pytest_tm_auth import Login, Provider, Token

HEADER = "X-Request-Source"
SOURCE = "pytest"


@pytest.hookimpl(wrapper=True)
def pytest_tm_auth_authenticate(login: Login) -> Generator[None, Token | None, Token | None]:
    login.http.headers[HEADER] = SOURCE  # before: the login request carries the header too
    token = yield  # the built-in login runs here; a failure raises here
    return token  # after: inspect it, or return another Token to replace it


def pytest_tm_auth_session(provider: Provider, session: requests.Session) -> None:
    session.headers[HEADER] = SOURCE
