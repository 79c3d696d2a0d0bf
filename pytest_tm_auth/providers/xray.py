"""Xray: Cloud (client id/secret exchanged for a JWT) or Data Center (Jira credentials)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_tm_auth.core.errors import AuthError, ConfigError
from pytest_tm_auth.core.provider import Login, Target, missing
from pytest_tm_auth.core.urls import api_base, join
from pytest_tm_auth.core.values import Setting, Values
from pytest_tm_auth.providers import atlassian
from pytest_tm_auth.providers.oauth import Grants
from pytest_tm_auth.settings.run_wide import site_url

if TYPE_CHECKING:
    from pytest_tm_auth.core.token import Token
    from pytest_tm_auth.http.diagnose import Advice, Refusal

REGIONS = {
    "global": "https://xray.cloud.getxray.app",
    "us": "https://us.xray.cloud.getxray.app",
    "eu": "https://eu.xray.cloud.getxray.app",
    "au": "https://au.xray.cloud.getxray.app",
}

DEPLOYMENT = Setting(
    "xray_deployment",
    "Xray deployment: cloud, datacenter or auto (default: cloud when a client id is set)",
    default="auto",
    choices=("auto", "cloud", "datacenter"),
)
REGION = Setting(
    "xray_region",
    "Xray Cloud region: global (default), us, eu or au",
    default="global",
    choices=tuple(REGIONS),
)
URL = Setting(
    "xray_url",
    "Explicit Xray base URL (Cloud: overrides the region; Data Center: the Jira URL)",
    label="url",
    metavar="URL",
    url=True,
)
CLIENT_ID = Setting("xray_client_id", "Xray Cloud API key client id", label="client id")
CLIENT_SECRET = Setting(
    "xray_client_secret", "Xray Cloud API key client secret", secret=True, label="client secret"
)

REGION_FIX = (
    "your Xray data lives in another region: set --xray-region (XRAY_REGION) to us, eu or au"
)
LICENSE_FIX = "the Xray license of this Jira site is not valid: check the Xray subscription"
RATE_LIMIT_FIX = (
    "Xray Cloud is rate-limiting this site's API requests (about 300 per 5 minutes on "
    "Standard, per Xray): wait and run again, or raise --tm-auth-retries to wait longer"
)
WRONG_SERVER_404 = (
    "no Xray Cloud API at this URL: for Xray Data Center set --xray-deployment=datacenter "
    "with JIRA_URL and JIRA_TOKEN; for Cloud, unset XRAY_URL or use XRAY_REGION"
)


class Xray(atlassian.JiraAccount):
    """Xray's REST and GraphQL API: Cloud ``/api/v2/`` or Data Center ``/rest/raven/2.0/``."""

    name = "xray"
    title = "Xray"
    settings = (DEPLOYMENT, REGION, URL, CLIENT_ID, CLIENT_SECRET)

    def __init__(self, grants: Grants | None = None) -> None:
        self.grants = Grants() if grants is None else grants

    def target(self, values: Values) -> Target:
        deployment = values.text(DEPLOYMENT.name) or "auto"
        cloud_credentials = [s.name for s in (CLIENT_ID, CLIENT_SECRET) if values.text(s.name)]
        if deployment == "auto":
            if cloud_credentials:
                deployment = "cloud"
            elif atlassian.datacenter_site(values, URL.name):
                deployment = "datacenter"
            else:
                raise missing(
                    self.title,
                    ("Xray Cloud", [CLIENT_ID, CLIENT_SECRET]),
                    *atlassian.datacenter_alternative(values, "Xray Data Center"),
                )
        if deployment == "cloud":
            return self._cloud(values)
        if cloud_credentials:
            raise ConfigError(
                f"Xray Data Center chosen by {values.describe(DEPLOYMENT.name)}, but "
                f"{values.describe(cloud_credentials[0])} is an Xray Cloud credential: "
                "remove it, or use --xray-deployment=cloud"
            )
        return self._datacenter(values)

    def _cloud(self, values: Values) -> Target:
        absent = [s for s in (CLIENT_ID, CLIENT_SECRET) if not values.text(s.name)]
        if absent:
            raise missing(self.title, ("Xray Cloud", absent))
        if values.text(URL.name):
            url = site_url(values, URL.name)
        else:
            url = REGIONS[values.text(REGION.name) or "global"]
        return Target("cloud", url, api_base(url, "api/v2"), (CLIENT_ID.name, CLIENT_SECRET.name))

    def _datacenter(self, values: Values) -> Target:
        url_setting = URL.name if values.text(URL.name) else atlassian.URL.name
        credentials = atlassian.datacenter_credentials(values)
        if not values.text(url_setting) or not credentials:
            raise missing(
                self.title,
                ("Xray Data Center", [atlassian.URL, atlassian.TOKEN]),
                ("basic auth", [atlassian.URL, atlassian.USERNAME, atlassian.PASSWORD]),
            )
        if url_setting == atlassian.URL.name and atlassian.jira_deployment(values) == "cloud":
            raise ConfigError(
                "Xray Data Center needs a Data Center Jira, but "
                f"{values.describe(atlassian.URL.name)} is a Jira Cloud site: use Xray Cloud "
                "credentials (XRAY_CLIENT_ID, XRAY_CLIENT_SECRET) or set "
                "--jira-deployment=datacenter"
            )
        url = site_url(values, url_setting)
        return Target("datacenter", url, api_base(url, "rest/raven/2.0"), credentials)

    def authenticate(self, login: Login) -> Token:
        if login.target.deployment == "cloud":
            return self._exchange(login)
        myself = join(login.target.url + "/", "rest/api/2/myself")
        from pytest_tm_auth.providers.datacenter import datacenter_login  # at login only

        return datacenter_login(login, self.grants, myself, DEPLOYMENT.option)

    def _exchange(self, login: Login) -> Token:
        """POST the API key to ``/api/v2/authenticate``; the answer is the JWT as a JSON string."""
        from pytest_tm_auth.core.token import Token
        from pytest_tm_auth.http.diagnose import answer_json, check_login_answer
        from pytest_tm_auth.http.session import explained

        url = join(login.target.api_url, "authenticate")
        body = {
            "client_id": login.values.text(CLIENT_ID.name),
            "client_secret": login.values.text(CLIENT_SECRET.name),
        }
        with explained(self.title, url):
            response = login.http.post(url, json=body)
        with response:
            check_login_answer(
                self.title,
                url,
                response,
                expected="a token",
                html_fix="a proxy or SSO login page answered; check XRAY_URL and the network",
                fixes={404: WRONG_SERVER_404},
                credentials="XRAY_CLIENT_ID and XRAY_CLIENT_SECRET (an Xray API key)",
                advice=cloud_advice,
            )
            value = answer_json(response)
        if not isinstance(value, str):
            raise AuthError(
                self.title,
                url,
                f"HTTP {response.status_code} but the body is not a token",
                fix="expected a JSON string; check XRAY_URL points at Xray Cloud",
                status=response.status_code,
            )
        if not value.strip():
            raise AuthError(
                self.title, url, "the service answered an empty token", status=response.status_code
            )
        return Token.from_jwt(self.name, value.strip())


def cloud_advice(refusal: Refusal) -> Advice | None:
    """Xray Cloud's own refusals (region, license); then those of a Jira answering instead."""
    from pytest_tm_auth.http.diagnose import Advice

    reason = refusal.reason.lower()
    if "another region" in reason:
        return Advice(REGION_FIX)
    if refusal.status == 401 and "license" in reason:
        return Advice(LICENSE_FIX)
    if refusal.status == 429:
        return Advice(RATE_LIMIT_FIX, refused=False)
    return atlassian.advice("cloud", DEPLOYMENT.option, jira=False)(refusal)
