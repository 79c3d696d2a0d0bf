"""OAuth 2.0 client credentials: one token request per run for every provider that shares it.

Jira Cloud service accounts exchange a client id and secret at Atlassian's token endpoint;
Jira Data Center's OAuth clients at ``{jira}/rest/oauth2/latest/token``. On Data Center,
Xray and Zephyr Scale authenticate as Jira, so the three providers of a run hold one
:class:`Grants` and the first of them to log in fetches the token the others reuse.

The Cloud body is not confirmed by Atlassian's docs (API-FACTS): a refusal quotes the
endpoint's own ``error`` and ``error_description``, so a wrong guess fails loudly.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from pytest_tm_auth.core.errors import AuthError, inert
from pytest_tm_auth.providers.atlassian import CLIENT_ID, CLIENT_SECRET, OAUTH_URL

if TYPE_CHECKING:  # types only: requests itself is imported by http/ alone
    from pytest_tm_auth.core.provider import Login
    from pytest_tm_auth.core.token import Token
    from pytest_tm_auth.http.session import Response

CLOUD_TOKEN_URL = "https://auth.atlassian.com/oauth/token"
DATACENTER_TOKEN_PATH = "rest/oauth2/latest/token"
CREDENTIALS = "JIRA_CLIENT_ID and JIRA_CLIENT_SECRET"
REFUSED_FIX = (
    "check JIRA_CLIENT_ID and JIRA_CLIENT_SECRET (the OAuth 2.0 client of a service account, "
    "or of a Data Center OAuth integration); a secret shown once at creation must be copied "
    "again if lost"
)
BAD_REQUEST_FIX = (
    "the token endpoint refused the request itself, not only JIRA_CLIENT_ID and "
    "JIRA_CLIENT_SECRET: if its words name the body or audience, please report it; "
    "--jira-oauth-url sets another endpoint"
)
LIFETIME_FALLBACK = 3600.0  # "usually 1 hour" when an answer gives no expires_in


class AccessGrant:
    """An access token as the endpoint issued it, before each provider wraps it.

    A plain class: building a ``NamedTuple`` class costs every run that imports this module
    at start, and a grant is only ever compared with itself.
    """

    __slots__ = ("expires_at", "value")

    def __init__(self, value: str, expires_at: float) -> None:
        self.value = value
        self.expires_at = expires_at


def token_url(values: Any, site: str, cloud: bool) -> str:
    """The token endpoint: the setting, else Atlassian's (Cloud) or the site's (Data Center)."""
    configured = values.text(OAUTH_URL.name)
    if configured:
        return str(configured)
    return CLOUD_TOKEN_URL if cloud else f"{site.rstrip('/')}/{DATACENTER_TOKEN_PATH}"


class Grants:
    """The run's client-credentials tokens, by endpoint and client: fetched once, shared.

    A provider that asks again for the token it already holds is renewing it (it lapsed,
    or the service refused it): that fetches a fresh one, which the others then share.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._granted: dict[tuple[str, str, str], AccessGrant] = {}
        self._given: dict[tuple[str, str, str, str], AccessGrant] = {}
        #: Token requests made, for tests and the curious.
        self.requests = 0

    def token(self, login: Login, url: str, *, cloud: bool) -> Token:
        """A Bearer token for ``login``'s provider, fetched at ``url`` unless already held."""
        from pytest_tm_auth.core.token import RENEW_BEFORE_EXPIRY, Token

        values = login.values
        client = values.text(CLIENT_ID.name) or ""
        secret = values.text(CLIENT_SECRET.name) or ""
        key = (url, client, secret)
        name = login.provider.name
        with self._lock:
            grant = self._granted.get(key)
            fresh_enough = grant is not None and grant.expires_at - RENEW_BEFORE_EXPIRY > (
                time.time()
            )
            given = (url, client, secret, name)
            if grant is None or not fresh_enough or self._given.get(given) is grant:
                grant = self._fetch(login, url, client, secret, cloud=cloud)
                self._granted[key] = grant
            self._given[given] = grant
        return Token.bearer(name, grant.value, grant.expires_at)

    def _fetch(
        self, login: Login, url: str, client: str, secret: str, *, cloud: bool
    ) -> AccessGrant:
        from pytest_tm_auth.http.session import explained

        self.requests += 1
        body = {"grant_type": "client_credentials", "client_id": client, "client_secret": secret}
        with explained(login.provider.title, url):
            if cloud:  # the JSON body of Atlassian's OAuth 2.0 docs; audience as one client sends
                response = login.http.post(url, json={**body, "audience": "api.atlassian.com"})
            else:  # Jira Data Center documents a form
                response = login.http.post(url, data=body)
        with response:
            return read_answer(login.provider.title, url, response)


def read_answer(title: str, url: str, response: Response) -> AccessGrant:
    """The access token and its expiry from a token endpoint's answer, or an AuthError."""
    from pytest_tm_auth.http.diagnose import answer_json, check_login_answer

    status = response.status_code
    data = answer_json(response)
    error = data.get("error") if isinstance(data, dict) else None
    if not response.ok and isinstance(error, str) and isinstance(data, dict):
        said = inert(error, 60)  # the endpoint's words, as a terminal shows them: inert
        description = data.get("error_description")
        if isinstance(description, str) and inert(description):
            said += f": {inert(description)}"
        fix = BAD_REQUEST_FIX if status == 400 and error != "invalid_client" else REFUSED_FIX
        refused = status in (400, 401, 403)
        raise AuthError(
            title,
            url,
            f"HTTP {status}: the token endpoint answered {said}",
            fix=fix,
            status=status,
            credentials_refused=refused,
        )
    check_login_answer(title, url, response, expected="an access token", credentials=CREDENTIALS)
    value = data.get("access_token") if isinstance(data, dict) else None
    if not isinstance(value, str) or not value.strip():
        keys = inert(", ".join(sorted(data))) if isinstance(data, dict) else "not a JSON object"
        raise AuthError(
            title,
            url,
            f"HTTP {status} but no access_token in the answer ({keys})",
            fix="check --jira-oauth-url points at the OAuth 2.0 token endpoint",
            status=status,
        )
    lifetime = data.get("expires_in") if isinstance(data, dict) else None
    if isinstance(lifetime, str) and lifetime.isdigit():
        lifetime = int(lifetime)
    if isinstance(lifetime, bool) or not isinstance(lifetime, (int, float)) or lifetime <= 0:
        lifetime = LIFETIME_FALLBACK
    return AccessGrant(value.strip(), time.time() + min(float(lifetime), 366 * 86400.0))
