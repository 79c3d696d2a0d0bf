"""Jira: Cloud (email + API token, basic) or Data Center (PAT as Bearer, or basic).

Also decides Data Center credentials for Xray and Zephyr Scale Data Center, which
authenticate as Jira users.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pytest_tm_auth.errors import ConfigError
from pytest_tm_auth.provider import Login, Target, missing, site_url
from pytest_tm_auth.settings import Setting, Values
from pytest_tm_auth.urls import api_base

if TYPE_CHECKING:
    from pytest_tm_auth.token import Token

URL = Setting(
    "jira_url",
    "Jira site: https://x.atlassian.net or a Data Center base (context path allowed)",
    label="url",
    metavar="URL",
    url=True,
)
DEPLOYMENT = Setting(
    "jira_deployment",
    "Jira deployment: cloud, datacenter or auto (default: cloud for *.atlassian.net sites)",
    default="auto",
    choices=("auto", "cloud", "datacenter"),
)
USERNAME = Setting("jira_username", "Jira user (the account email on Cloud)", label="username")
TOKEN = Setting(
    "jira_token",
    "Jira Cloud API token, or Data Center personal access token",
    secret=True,
    label="token",
)
PASSWORD = Setting(
    "jira_password",
    "Jira Data Center password, for servers without personal access tokens",
    secret=True,
    label="password",
    allow_spaces=True,
)

CLOUD_HOSTS = (".atlassian.net", ".jira.com", ".jira-dev.com")


def is_cloud_site(url: str) -> bool:
    """True for Atlassian's Cloud hosts (``*.atlassian.net`` and its older names)."""
    return (urlsplit(url).hostname or "").endswith(CLOUD_HOSTS)


def jira_deployment(values: Values) -> str:
    """``cloud`` or ``datacenter``: the setting, or the site's host name under ``auto``."""
    chosen = values.text(DEPLOYMENT.name) or "auto"
    if chosen != "auto":
        return chosen
    return "cloud" if is_cloud_site(values.text(URL.name) or "") else "datacenter"


def datacenter_site(values: Values, own_url: str | None = None) -> str | None:
    """Under ``auto``, the setting naming a Data Center site that Xray or Zephyr Scale can
    log in to with the Jira credentials (their own URL first, then ``JIRA_URL``), or ``None``.
    """
    if not datacenter_credentials(values):
        return None
    own = values.text(own_url) if own_url else None
    if own and not is_cloud_site(own):
        return own_url
    if values.text(URL.name) and jira_deployment(values) == "datacenter":
        return URL.name
    return None


def datacenter_alternative(values: Values, label: str) -> list[tuple[str, list[Setting]]]:
    """The Data Center way to configure a provider, naming only what is still unset.

    Empty when ``JIRA_URL`` is a Jira Cloud site: Data Center is then not an option.
    """
    if values.text(URL.name) and jira_deployment(values) == "cloud":
        return []
    return [(label, [s for s in (URL, TOKEN) if not values.text(s.name)])]


def datacenter_credentials(values: Values) -> tuple[str, ...]:
    """The settings a Data Center login uses: a PAT, else username and password; else none."""
    if values.text(TOKEN.name):
        return (TOKEN.name,)
    if values.text(USERNAME.name) and values.text(PASSWORD.name):
        return (USERNAME.name, PASSWORD.name)
    return ()


def datacenter_token(provider: str, values: Values) -> Token:
    """The Data Center credential as a token: Bearer PAT, or basic username and password."""
    from pytest_tm_auth.token import Token  # here, like every login-time import

    pat = values.text(TOKEN.name)
    if pat:
        return Token.bearer(provider, pat, static=True)
    return Token.basic(provider, values.text(USERNAME.name) or "", values.text(PASSWORD.name) or "")


DATACENTER_401 = (
    "check JIRA_TOKEN (a personal access token) or JIRA_USERNAME and JIRA_PASSWORD; "
    "if this is a Jira Cloud site, use Cloud credentials instead"
)


class Jira:
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
        from pytest_tm_auth.token import Token
        from pytest_tm_auth.verify import verify_token

        values = login.values
        if login.target.deployment == "cloud":
            token = Token.basic(
                self.name, values.text(USERNAME.name) or "", values.text(TOKEN.name) or ""
            )
            return verify_token(
                login,
                token,
                "myself",
                credentials="JIRA_USERNAME (your account email) and JIRA_TOKEN (an API token)",
            )
        return verify_token(
            login, datacenter_token(self.name, values), "myself", fixes={401: DATACENTER_401}
        )
