"""Jira: Cloud (email + API token, or a service account's OAuth client) or Data Center.

On Cloud a classic API token works on the site; a scoped token is refused there (401) and
works through the API gateway, which a run then uses throughout; an OAuth client's access
token works only through the gateway. Data Center takes an OAuth client's access token, a
PAT as Bearer, or basic auth.

Through the gateway the base is ``{gateway}/ex/jira/{cloudId}/rest/api/2/``. The cloud id is
the setting, or the site's ``/_edge/tenant_info`` (asked without credentials, once, when the
gateway is needed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_tm_auth.core.errors import AuthError, ConfigError
from pytest_tm_auth.core.provider import Login, Target, missing
from pytest_tm_auth.core.urls import api_base
from pytest_tm_auth.core.values import Values
from pytest_tm_auth.providers.atlassian import (
    CLIENT_ID,
    CLIENT_SECRET,
    CLOUD_ID,
    DEPLOYMENT,
    GATEWAY_URL,
    PASSWORD,
    SETTINGS,
    TOKEN,
    URL,
    USERNAME,
    JiraAccount,
    advice,
    datacenter_credentials,
    is_cloud_site,
    jira_deployment,
)
from pytest_tm_auth.providers.oauth import Grants, token_url
from pytest_tm_auth.settings.run_wide import site_url

if TYPE_CHECKING:
    from pytest_tm_auth.core.token import Token


CLOUD_CREDENTIALS = "JIRA_USERNAME (your account email) and JIRA_TOKEN (an API token)"
CLOUD_401 = (
    "check JIRA_USERNAME (your account email) and JIRA_TOKEN (an API token): API tokens "
    "expire (at most a year after they are made), so it may have expired; create a new one "
    "at https://id.atlassian.com/manage-profile/security/api-tokens"
)


class Jira(JiraAccount):
    """The Jira REST API (``/rest/api/2/``), checked once with ``/myself``."""

    name = "jira"
    title = "Jira"
    settings = SETTINGS

    def __init__(self, grants: Grants | None = None) -> None:
        self.grants = Grants() if grants is None else grants

    def target(self, values: Values) -> Target:
        if not values.text(URL.name):
            raise missing(
                self.title,
                ("Jira Cloud", [URL, USERNAME, TOKEN]),
                ("a service account", [URL, CLIENT_ID, CLIENT_SECRET]),
                ("Jira Data Center", [URL, TOKEN]),
            )
        url = site_url(values, URL.name)
        api = api_base(url, "rest/api/2")
        client = [s for s in (CLIENT_ID, CLIENT_SECRET) if values.text(s.name)]
        if client and len(client) < 2:
            absent = [s for s in (CLIENT_ID, CLIENT_SECRET) if s not in client]
            raise missing(self.title, ("an OAuth 2.0 client", absent))
        if jira_deployment(values) == "datacenter":
            credentials = datacenter_credentials(values)
            if not credentials:
                raise missing(
                    self.title, ("Jira Data Center", [TOKEN]), ("basic auth", [USERNAME, PASSWORD])
                )
            return Target("datacenter", url, api, credentials)
        if client:
            target = Target("cloud", url, api, (CLIENT_ID.name, CLIENT_SECRET.name))
            return configured_gateway(target, values)
        if values.text(PASSWORD.name) and not values.text(TOKEN.name):
            raise ConfigError(
                f"Jira Cloud refuses passwords, but {values.describe(PASSWORD.name)} is set: "
                "set JIRA_TOKEN to an API token (id.atlassian.com → Security → API tokens)"
            )
        absent = [s for s in (USERNAME, TOKEN) if not values.text(s.name)]
        if absent:
            raise missing(self.title, ("Jira Cloud", absent))
        target = Target("cloud", url, api, (USERNAME.name, TOKEN.name))
        return configured_gateway(target, values)

    def authenticate(self, login: Login) -> Token:
        target = login.target
        if target.deployment == "datacenter":
            from pytest_tm_auth.providers.datacenter import datacenter_login  # at login only

            return datacenter_login(login, self.grants, "myself", DEPLOYMENT.option)
        if target.credentials[:1] == (CLIENT_ID.name,):
            return self._service_account(login)
        from pytest_tm_auth.core.token import Token

        values = login.values
        token = Token.basic(
            self.name, values.text(USERNAME.name) or "", values.text(TOKEN.name) or ""
        )
        if target.deployment == VIA_GATEWAY:
            return _check(login, token)
        try:
            return _check(login, token)
        except AuthError as refused:
            if refused.status != 401 or not may_try(login.values, target.url):
                raise
            site_refusal = refused
        return self._scoped(login, token, site_refusal)

    def _scoped(self, login: Login, token: Token, site_refusal: AuthError) -> Token:
        """The site refused the API token: a scoped token works through the gateway only."""
        try:
            cloud_id = cloud_id_of(login)
        except AuthError as unknown:
            raise site_refusal.derived(
                problem=f"{site_refusal.problem}; the API gateway was not tried ({unknown.url} "
                f"answered {unknown.problem})"
            ) from None
        moved = through_gateway(login.target, login.values, cloud_id)
        try:
            _check(login._replace(target=moved), token)
        except AuthError as refused:
            # the gateway's refusal (its fix, status and marks), told at the site
            raise refused.derived(
                url=site_refusal.url,
                problem=f"{site_refusal.problem}; through the API gateway too ({refused.problem})",
            ) from None
        login.relocate(moved)
        return token

    def _service_account(self, login: Login) -> Token:
        """A Cloud service account's OAuth client: a Bearer access token, through the gateway."""
        url = token_url(login.values, login.target.url, cloud=True)
        token = self.grants.token(login, url, cloud=True)
        if login.target.deployment == VIA_GATEWAY:
            moved = None
        else:
            moved = through_gateway(login.target, login.values, cloud_id_of(login))
            login = login._replace(target=moved)
        _check(login, token, fix=SERVICE_ACCOUNT_401)
        if moved is not None:
            login.relocate(moved)
        return token


SERVICE_ACCOUNT_401 = (
    "the service account's access token was refused: check its scopes for Jira "
    "(read:jira-user at least) and that the account has access to this site"
)


def _check(login: Login, token: Token, *, fix: str = CLOUD_401) -> Token:
    from pytest_tm_auth.http.diagnose import verify_token

    return verify_token(
        login,
        token,
        "myself",
        credentials=CLOUD_CREDENTIALS,
        fixes={401: fix},
        advice=advice("cloud", DEPLOYMENT.option),
    )


#: How a target through the gateway names its deployment (the header says it).
VIA_GATEWAY = "cloud via gateway"
TENANT_INFO = "_edge/tenant_info"


def gateway_api(values: Values, cloud_id: str) -> str:
    """The gateway's Jira REST base for ``cloud_id``, ending in ``/``."""
    gateway = (values.text(GATEWAY_URL.name) or "https://api.atlassian.com").rstrip("/")
    return f"{gateway}/ex/jira/{cloud_id}/rest/api/2/"


def through_gateway(target: Target, values: Values, cloud_id: str) -> Target:
    """``target`` with its API base moved to the gateway (the site stays what is shown)."""
    return target._replace(deployment=VIA_GATEWAY, api_url=gateway_api(values, cloud_id))


def configured_gateway(target: Target, values: Values) -> Target:
    """The gateway target when ``--jira-cloud-id`` is set, else ``target`` unchanged."""
    cloud_id = values.text(CLOUD_ID.name)
    return through_gateway(target, values, cloud_id) if cloud_id else target


def may_try(values: Values, site: str) -> bool:
    """Whether a refused API token may try the gateway: the site is an Atlassian Cloud host,
    or ``--jira-gateway-url`` is set (so another site never sends anything to Atlassian)."""
    return is_cloud_site(site) or values.source(GATEWAY_URL.name).kind != "default"


def cloud_id_of(login: Login) -> str:
    """The site's cloud id from ``GET {site}/_edge/tenant_info``, without credentials.

    Anything but a JSON object with a ``cloudId`` text is an :class:`AuthError` quoting what
    answered, with the setting that avoids the request.
    """
    from pytest_tm_auth.http.diagnose import answer_json
    from pytest_tm_auth.http.session import explained

    url = f"{login.target.url.rstrip('/')}/{TENANT_INFO}"
    fix = f"set {CLOUD_ID.option} ({CLOUD_ID.env}) to the site's cloud id"
    with explained(login.provider.title, url):
        response = login.http.get(url)

    with response:
        status = response.status_code
        data = answer_json(response) if response.ok else None
    cloud_id = data.get("cloudId") if isinstance(data, dict) else None
    if not isinstance(cloud_id, str) or not cloud_id.strip() or "/" in cloud_id:
        raise AuthError(
            login.provider.title,
            url,
            f"HTTP {status} without a cloudId: the cloud id for the API gateway is unknown",
            fix=fix,
            status=status,
            credentials_refused=False,
        )
    return cloud_id.strip()
