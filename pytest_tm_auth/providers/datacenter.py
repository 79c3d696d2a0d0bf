"""The Data Center login Jira, Xray and Zephyr Scale share: one credential, one check.

The credential is an OAuth 2.0 access token (client credentials, fetched once for all three
through :class:`~pytest_tm_auth.providers.oauth.Grants`), a personal access token, or a
username and password. A refused login with an e-mail-like username on a host that is not
a known Cloud host asks the site's ``serverInfo`` once: a Jira Cloud site then says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pytest_tm_auth.core.errors import AuthError
from pytest_tm_auth.core.provider import Login
from pytest_tm_auth.providers import atlassian
from pytest_tm_auth.providers.oauth import Grants, token_url

if TYPE_CHECKING:
    from pytest_tm_auth.core.token import Token

CLOUD_SITE_FIX = "this is a Jira Cloud site: set --jira-deployment=cloud"
OAUTH_401 = (
    "the OAuth 2.0 access token for JIRA_CLIENT_ID was refused: check the client's scopes "
    "and that it may act on this API"
)


def credential(login: Login, grants: Grants) -> Token:
    """The Data Center credential as a token; an OAuth client's is fetched (once per run)."""
    values = login.values
    if atlassian.datacenter_credentials(values)[:1] == (atlassian.CLIENT_ID.name,):
        url = token_url(values, values.text(atlassian.URL.name) or login.target.url, cloud=False)
        return grants.token(login, url, cloud=False)
    return atlassian.datacenter_token(login.provider.name, values)


def datacenter_login(
    login: Login,
    grants: Grants,
    path: str,
    option: str,
    *,
    params: Mapping[str, str] | None = None,
) -> Token:
    """Check the Data Center credential with one GET of ``path``; refusals explained."""
    from pytest_tm_auth.http.diagnose import verify_token

    token = credential(login, grants)
    fix = OAUTH_401 if token.scheme == "Bearer" and not token.static else None
    try:
        return verify_token(
            login,
            token,
            path,
            params=params,
            fixes={401: fix or atlassian.DATACENTER_401},
            advice=atlassian.advice("datacenter", option),
        )
    except AuthError as error:
        if error.credentials_refused and _cloud_site(login):
            raise error.derived(fix=CLOUD_SITE_FIX) from None
        raise


def _cloud_site(login: Login) -> bool:
    """True when an e-mail-like username's site says ``deploymentType: Cloud``.

    Asked once, without credentials, only for a refused login that a Cloud site explains.
    """
    from pytest_tm_auth.http.diagnose import answer_json
    from pytest_tm_auth.http.session import explained

    values = login.values
    username = values.text(atlassian.USERNAME.name) or ""
    site = values.text(atlassian.URL.name) or login.target.url
    if "@" not in username or atlassian.is_cloud_site(site):
        return False
    url = f"{site.rstrip('/')}/rest/api/2/serverInfo"
    try:
        with explained(login.provider.title, url), login.http.get(url) as response:
            data = answer_json(response) if response.ok else None
    except AuthError:  # no answer: nothing says it is a Cloud site
        return False
    return isinstance(data, dict) and data.get("deploymentType") == "Cloud"
