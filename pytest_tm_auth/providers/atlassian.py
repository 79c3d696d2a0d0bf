"""What Jira, Xray and Zephyr Scale share as Atlassian apps: one Jira account and its rules.

The Jira settings (a Data Center Xray or Zephyr Scale logs in as a Jira user), Cloud host
detection, the Data Center credential, the advice for Jira's refusals (CAPTCHA, Seraph
headers, passwords on Cloud), and the one-refused-account policy these providers opt into.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pytest_tm_auth.core.errors import inert
from pytest_tm_auth.core.provider import Target
from pytest_tm_auth.core.urls import hostname
from pytest_tm_auth.core.values import Setting, Values

if TYPE_CHECKING:  # the advice runs on a refused login, when http is loaded anyway
    from pytest_tm_auth.core.token import Token
    from pytest_tm_auth.http.diagnose import Advice, Adviser, Refusal

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

CLIENT_ID = Setting(
    "jira_client_id",
    "OAuth 2.0 client id of a Cloud service account or a Data Center OAuth client",
    label="client id",
)
CLIENT_SECRET = Setting(
    "jira_client_secret",
    "The matching OAuth 2.0 client secret (client-credentials grant)",
    secret=True,
    label="client secret",
)
CLOUD_ID = Setting(
    "jira_cloud_id",
    "Jira Cloud site's cloud id; set, requests go through the API gateway",
    label="cloud id",
)
GATEWAY_URL = Setting(
    "jira_gateway_url",
    "Atlassian's API gateway (default https://api.atlassian.com)",
    default="https://api.atlassian.com",
    metavar="URL",
    url=True,
)
OAUTH_URL = Setting(
    "jira_oauth_url",
    "OAuth 2.0 token endpoint (default Cloud https://auth.atlassian.com/oauth/token, "
    "Data Center {jira_url}/rest/oauth2/latest/token)",
    metavar="URL",
    url=True,
)
#: The Jira settings that the Jira provider declares (Xray and Zephyr Scale read them too).
SETTINGS: tuple[Setting, ...] = (URL, DEPLOYMENT, USERNAME, TOKEN, PASSWORD)
SETTINGS += (CLIENT_ID, CLIENT_SECRET, CLOUD_ID, GATEWAY_URL, OAUTH_URL)

CLOUD_HOSTS = (".atlassian.net", ".jira.com", ".jira-dev.com")


def is_cloud_site(url: str) -> bool:
    """True for Atlassian's Cloud hosts (``*.atlassian.net`` and its older names)."""
    return hostname(url).endswith(CLOUD_HOSTS)


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
    """The settings a Data Center login uses: an OAuth client, a PAT, else username and
    password; else none."""
    if values.text(CLIENT_ID.name) and values.text(CLIENT_SECRET.name):
        return (CLIENT_ID.name, CLIENT_SECRET.name)
    if values.text(TOKEN.name):
        return (TOKEN.name,)
    if values.text(USERNAME.name) and values.text(PASSWORD.name):
        return (USERNAME.name, PASSWORD.name)
    return ()


def datacenter_token(provider: str, values: Values) -> Token:
    """The Data Center credential as a token: Bearer PAT, or basic username and password."""
    from pytest_tm_auth.core.token import Token  # here, like every login-time import

    pat = values.text(TOKEN.name)
    if pat:
        return Token.bearer(provider, pat, static=True)
    return Token.basic(provider, values.text(USERNAME.name) or "", values.text(PASSWORD.name) or "")


DATACENTER_401 = (
    "check JIRA_TOKEN (a personal access token) or JIRA_USERNAME and JIRA_PASSWORD; "
    "if this is a Jira Cloud site, use Cloud credentials instead"
)

CAPTCHA_FIX = (
    "Jira asks for a CAPTCHA after failed logins: log in once through the browser "
    "as this user, then run again"
)
PASSWORD_FIX = (
    "Jira Cloud refuses passwords: set JIRA_TOKEN to an API token instead of JIRA_PASSWORD"
)
DATACENTER_SERVER_FIX = (
    "this server answers like Jira Data Center (X-Seraph-LoginReason), not a Cloud service: "
    "use Data Center credentials (JIRA_TOKEN as a personal access token) and "
    "{option}=datacenter"
)


CAPTCHA_LOGIN_FIX = (
    "Jira asks for a CAPTCHA after failed logins: log in once through the browser at "
    "{login_url} as this user, then run again"
)
RATE_LIMIT_FIX = (
    "Jira is rate-limiting this account (HTTP 429{limit}): wait and run again, or ask a "
    "Jira admin to raise its limit or exempt it"
)


def seraph_reasons(headers: Mapping[str, str]) -> set[str]:
    """``X-Seraph-LoginReason``'s values: the header may hold several (``OUT, OK``)."""
    text = headers.get("X-Seraph-LoginReason", "")
    return {part.strip().upper() for part in text.split(",") if part.strip()}


def captcha_login_url(headers: Mapping[str, str]) -> str | None:
    """The login URL of ``X-Authentication-Denied-Reason: CAPTCHA_CHALLENGE; login-url=...``,
    or ``""`` for a CAPTCHA without one, or ``None`` when no CAPTCHA is asked for."""
    text = headers.get("X-Authentication-Denied-Reason", "")
    if "CAPTCHA_CHALLENGE" not in text.upper():
        return None
    for part in text.split(";"):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "login-url" and inert(value):
            return inert(value, 200)
    return ""


def advice(deployment: str, option: str, *, jira: bool = True) -> Adviser:
    """Jira's refusals explained, for a provider of ``deployment`` set by ``option``.

    A CAPTCHA (``403`` with ``X-Authentication-Denied-Reason``, naming the login URL), or
    ``X-Seraph-LoginReason`` (Data Center, possibly several values) saying the login was
    refused, whose ``AUTHENTICATION_DENIED`` most often means a CAPTCHA; Data Center's rate
    limiting (a 429 with a Tomcat HTML page). A Cloud provider answered with Seraph headers
    is talking to a Data Center. ``jira``: the answer is Jira's own (not Xray or Zephyr
    Scale Cloud's, whose rate limits are theirs, not a Jira admin's).
    """

    def explain(refusal: Refusal) -> Advice | None:
        from pytest_tm_auth.http.diagnose import Advice

        login_url = captcha_login_url(refusal.headers)
        if login_url is not None:
            where = login_url or "the Jira login page"
            return Advice(CAPTCHA_LOGIN_FIX.format(login_url=where), refused=True)
        seraph = seraph_reasons(refusal.headers)
        denied = bool(seraph & {"AUTHENTICATION_DENIED", "AUTHENTICATED_FAILED"})
        if "AUTHENTICATION_DENIED" in seraph:
            return Advice(CAPTCHA_FIX, refused=True)
        if refusal.status == 429 and jira:
            limit = refusal.headers.get("X-RateLimit-Limit", "").strip()
            plain = limit.isascii() and limit.isdigit()  # a number, nothing a terminal acts on
            shown = f", X-RateLimit-Limit {limit[:20]}" if plain else ""
            return Advice(RATE_LIMIT_FIX.format(limit=shown), refused=False)
        if refusal.status == 401 and "passwords is deprecated" in refusal.reason.lower():
            return Advice(PASSWORD_FIX)
        if refusal.status == 401 and seraph and deployment == "cloud":
            return Advice(DATACENTER_SERVER_FIX.format(option=option), refused=True)
        return Advice("", refused=True) if denied else None

    return explain


class JiraAccount:
    """Opts a provider into the one-refusal rule: its credentials are a Jira account's.

    Each refused try brings the account closer to Jira's CAPTCHA lock, so an account one
    provider saw refused is not tried by the others (see :mod:`pytest_tm_auth.core.accounts`).
    """

    def account(self, target: Target, values: Values) -> str:
        from pytest_tm_auth.core.accounts import account_key  # at the first login only

        return account_key(target.url, values, target.credentials)
