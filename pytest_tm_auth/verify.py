"""Log in with a static credential by proving it once: one cheap authenticated GET.

Jira, Zephyr Scale and Xray Data Center issue no session token; what a run needs is to
know, once, that the credential works, so that 200 tests do not each discover it does not.
Team-written providers use :func:`verify_token` the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

import requests

from pytest_tm_auth.diagnose import check_login_answer, explain_exception
from pytest_tm_auth.http import TokenAuth
from pytest_tm_auth.provider import Login
from pytest_tm_auth.token import Token
from pytest_tm_auth.urls import join


def fixed(token: Token) -> TokenAuth:
    """Auth that always sends ``token`` (and so keeps ``~/.netrc`` out of the request)."""
    return TokenAuth(lambda: token, lambda _refused: None)


def verify_token(
    login: Login,
    token: Token,
    path: str,
    *,
    params: Mapping[str, str] | None = None,
    fixes: Mapping[int, str] | None = None,
    credentials: str = "the credentials",
) -> Token:
    """GET ``path`` (relative to the target's API base) with ``token``; return it if accepted.

    A non-2xx answer, an HTML page (a proxy's login form) or no answer becomes an
    :class:`AuthError` naming the URL, status, the server's reason and the fix.
    """
    title = login.provider.title
    url = join(login.target.api_url, path)
    try:
        response = login.http.get(url, params=params, auth=fixed(token))
    except requests.RequestException as error:
        raise explain_exception(title, url, error) from None
    with response:
        check_login_answer(
            title,
            url,
            response,
            fixes=fixes,
            credentials=credentials,
            deployment=login.target.deployment,
            deployment_option=f"--{login.provider.name}-deployment",
        )
    return token
