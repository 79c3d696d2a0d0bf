"""Log in with a static credential by proving it once: one cheap authenticated GET.

Jira, Zephyr Scale and Xray Data Center issue no session token; what a run needs is to
know, once, that the credential works, so that 200 tests do not each discover it does not.
Team-written providers use :func:`verify_token` the same way.
"""

from __future__ import annotations

from collections.abc import Mapping

from pytest_tm_auth.core.errors import AuthError
from pytest_tm_auth.core.provider import Login
from pytest_tm_auth.core.token import Token
from pytest_tm_auth.core.urls import join
from pytest_tm_auth.http.diagnose import Adviser, check_login_answer
from pytest_tm_auth.http.session import FixedToken, TokenAuth, explained


def verify_token(
    login: Login,
    token: Token,
    path: str,
    *,
    params: Mapping[str, str] | None = None,
    fixes: Mapping[int, str] | None = None,
    credentials: str = "the credentials",
    advice: Adviser | None = None,
) -> Token:
    """GET ``path`` (relative to the target's API base) with ``token``; return it if accepted.

    A non-2xx answer, an HTML page (a proxy's login form) or no answer becomes an
    :class:`AuthError` naming the URL, status, the server's reason and the fix: ``fixes``
    by status, and ``advice`` for refusals only the provider understands.
    """
    url = join(login.target.api_url, path)
    unsendable = token.unsendable()
    if unsendable:
        raise AuthError(
            login.provider.title,
            url,
            f"the token holds {unsendable}, which cannot be sent in an HTTP header",
            fix=f"copy {_named(login, token)} again from its source: keys and tokens are "
            "plain ASCII",
        )
    with explained(login.provider.title, url):
        response = login.http.get(url, params=params, auth=TokenAuth(FixedToken(token)))
    with response:
        check_login_answer(
            login.provider.title,
            url,
            response,
            fixes=fixes,
            credentials=credentials,
            advice=advice,
        )
    return token


def _named(login: Login, token: Token) -> str:
    """Which setting holds ``token`` and where it came from, or ``the token``."""
    for name, item in login.values.resolved.items():
        if item.setting.secret and item.value == str(token.value):
            return login.values.describe(name)
    return "the token"
