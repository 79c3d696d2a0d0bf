"""Zephyr Scale: Cloud (API access token as Bearer) or Data Center (Jira credentials)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from pytest_tm_auth.core.errors import ConfigError
from pytest_tm_auth.core.provider import Login, Target, missing
from pytest_tm_auth.core.urls import api_base
from pytest_tm_auth.core.values import Setting, Values
from pytest_tm_auth.providers import atlassian
from pytest_tm_auth.providers.oauth import Grants
from pytest_tm_auth.settings.run_wide import site_url

if TYPE_CHECKING:
    from pytest_tm_auth.core.token import Token

REGIONS = {
    "global": "https://api.zephyrscale.smartbear.com/v2/",
    "eu": "https://eu.api.zephyrscale.smartbear.com/v2/",
}

DEPLOYMENT = Setting(
    "zephyr_deployment",
    "Zephyr Scale deployment: cloud, datacenter or auto (default: cloud when a token is set)",
    default="auto",
    choices=("auto", "cloud", "datacenter"),
)
REGION = Setting(
    "zephyr_region",
    "Zephyr Scale Cloud region: global (default) or eu",
    default="global",
    choices=tuple(REGIONS),
)
URL = Setting(
    "zephyr_url",
    "Explicit Zephyr Scale API base (Data Center default: {jira_url}/rest/atm/1.0/)",
    label="url",
    metavar="URL",
    url=True,
)
TOKEN = Setting("zephyr_token", "Zephyr Scale Cloud API access token", secret=True, label="token")

CLOUD_401 = "check ZEPHYR_TOKEN: generate an API access token in Jira (Zephyr Scale → API keys)"
EXPIRED_401 = (
    "ZEPHYR_TOKEN expired on {when}: generate a new API access token in Jira "
    "(Zephyr Scale → API keys)"
)
CLOUD_404 = "no Zephyr Scale Cloud API at this URL: check ZEPHYR_URL or ZEPHYR_REGION"


class Zephyr(atlassian.JiraAccount):
    """Zephyr Scale's REST API: Cloud ``/v2/`` or Data Center ``/rest/atm/1.0/``."""

    name = "zephyr"
    title = "Zephyr Scale"
    settings = (DEPLOYMENT, REGION, URL, TOKEN)

    def __init__(self, grants: Grants | None = None) -> None:
        self.grants = Grants() if grants is None else grants

    def target(self, values: Values) -> Target:
        deployment = values.text(DEPLOYMENT.name) or "auto"
        if deployment == "auto":
            if values.text(TOKEN.name):
                deployment = "cloud"
            elif atlassian.datacenter_site(values):
                deployment = "datacenter"
            else:
                raise missing(
                    self.title,
                    ("Zephyr Scale Cloud", [TOKEN]),
                    *atlassian.datacenter_alternative(values, "Zephyr Scale Data Center"),
                )
        if deployment == "cloud":
            if not values.text(TOKEN.name):
                raise missing(self.title, ("Zephyr Scale Cloud", [TOKEN]))
            if values.text(URL.name):
                api = site_url(values, URL.name) + "/"
            else:
                api = REGIONS[values.text(REGION.name) or "global"]
            return Target("cloud", api.rstrip("/"), api, (TOKEN.name,))
        if values.text(TOKEN.name):
            raise ConfigError(
                f"Zephyr Scale Data Center chosen by {values.describe(DEPLOYMENT.name)}, but "
                f"{values.describe(TOKEN.name)} is a Zephyr Scale Cloud token: remove it, "
                "or use --zephyr-deployment=cloud"
            )
        credentials = atlassian.datacenter_credentials(values)
        if not values.text(atlassian.URL.name) or not credentials:
            raise missing(
                self.title,
                ("Zephyr Scale Data Center", [atlassian.URL, atlassian.TOKEN]),
                ("basic auth", [atlassian.URL, atlassian.USERNAME, atlassian.PASSWORD]),
            )
        site = site_url(values, atlassian.URL.name)
        if values.text(URL.name):
            api = site_url(values, URL.name) + "/"
        else:
            api = api_base(site, "rest/atm/1.0")
        return Target("datacenter", site, api, credentials)

    def credential_expiry(self, values: Values) -> float | None:
        """When the Zephyr Scale Cloud token lapses: its JWT ``exp``, if it can be read."""
        from pytest_tm_auth.core.token import jwt_expiry

        token = values.text(TOKEN.name)
        return jwt_expiry(token) if token else None

    def authenticate(self, login: Login) -> Token:
        from pytest_tm_auth.core.token import Token, utc_time
        from pytest_tm_auth.http.diagnose import verify_token

        cloud = login.target.deployment == "cloud"  # Zephyr Scale's own API, not Jira's
        explain = atlassian.advice(login.target.deployment, DEPLOYMENT.option, jira=not cloud)
        if login.target.deployment == "cloud":
            token = Token.bearer(self.name, login.values.text(TOKEN.name) or "", static=True)
            expires_at = self.credential_expiry(login.values)
            fix = CLOUD_401
            if expires_at is not None and expires_at <= time.time():
                fix = EXPIRED_401.format(when=utc_time(expires_at))
            return verify_token(
                login,
                token,
                "projects",
                params={"maxResults": "1"},
                fixes={401: fix, 404: CLOUD_404},
                advice=explain,
            )
        from pytest_tm_auth.providers.datacenter import datacenter_login  # at login only

        return datacenter_login(login, self.grants, "healthcheck/", DEPLOYMENT.option)
