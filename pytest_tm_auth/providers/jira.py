"""Jira: Cloud (email + API token, basic) or Data Center (PAT as Bearer, or basic)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_tm_auth.core.errors import ConfigError
from pytest_tm_auth.core.provider import Login, Target, missing
from pytest_tm_auth.core.urls import api_base
from pytest_tm_auth.providers.atlassian import (
    DATACENTER_401,
    DEPLOYMENT,
    PASSWORD,
    TOKEN,
    URL,
    USERNAME,
    JiraAccount,
    advice,
    datacenter_credentials,
    datacenter_token,
    jira_deployment,
)
from pytest_tm_auth.settings.model import Values
from pytest_tm_auth.settings.site import site_url

if TYPE_CHECKING:
    from pytest_tm_auth.core.token import Token


class Jira(JiraAccount):
    """The Jira REST API (``/rest/api/2/``), checked once with ``/myself``."""

    name = "jira"
    title = "Jira"
    settings = (URL, DEPLOYMENT, USERNAME, TOKEN, PASSWORD)

    def target(self, values: Values) -> Target:
        if not values.text(URL.name):
            raise missing(
                self.title,
                ("Jira Cloud", [URL, USERNAME, TOKEN]),
                ("Jira Data Center", [URL, TOKEN]),
            )
        url = site_url(values, URL.name)
        api = api_base(url, "rest/api/2")
        if jira_deployment(values) == "cloud":
            if values.text(PASSWORD.name) and not values.text(TOKEN.name):
                raise ConfigError(
                    f"Jira Cloud refuses passwords, but {values.describe(PASSWORD.name)} is set: "
                    "set JIRA_TOKEN to an API token (id.atlassian.com → Security → API tokens)"
                )
            absent = [s for s in (USERNAME, TOKEN) if not values.text(s.name)]
            if absent:
                raise missing(self.title, ("Jira Cloud", absent))
            return Target("cloud", url, api, (USERNAME.name, TOKEN.name))
        credentials = datacenter_credentials(values)
        if not credentials:
            raise missing(
                self.title, ("Jira Data Center", [TOKEN]), ("basic auth", [USERNAME, PASSWORD])
            )
        return Target("datacenter", url, api, credentials)

    def authenticate(self, login: Login) -> Token:
        from pytest_tm_auth.core.token import Token
        from pytest_tm_auth.http.verify import verify_token

        values = login.values
        deployment = login.target.deployment
        explain = advice(deployment, DEPLOYMENT.option)
        if deployment == "cloud":
            token = Token.basic(
                self.name, values.text(USERNAME.name) or "", values.text(TOKEN.name) or ""
            )
            return verify_token(
                login,
                token,
                "myself",
                credentials="JIRA_USERNAME (your account email) and JIRA_TOKEN (an API token)",
                advice=explain,
            )
        return verify_token(
            login,
            datacenter_token(self.name, values),
            "myself",
            fixes={401: DATACENTER_401},
            advice=explain,
        )
