"""Jira Cloud through Atlassian's API gateway: ``{gateway}/ex/jira/{cloudId}/rest/api/2/``.

Scoped API tokens, service accounts' API tokens and OAuth access tokens are refused on the
site and accepted only here. The cloud id is the setting, or the site's
``/_edge/tenant_info`` (asked without credentials, once, when the gateway is needed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_tm_auth.core.errors import AuthError
from pytest_tm_auth.core.provider import Login, Target
from pytest_tm_auth.providers.atlassian import CLOUD_ID, GATEWAY_URL, is_cloud_site

if TYPE_CHECKING:
    from pytest_tm_auth.core.values import Values

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
