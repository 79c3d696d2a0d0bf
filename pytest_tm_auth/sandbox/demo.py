"""Obviously fake credentials that the sandbox accepts, so examples run with no account."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pytest_tm_auth.sandbox import jwt

__all__ = ["DEMO", "JIRA_DC_PATH", "ZEPHYR_KEY", "DemoCredentials", "Deployment", "demo_settings"]

Deployment = Literal["cloud", "datacenter"]

JIRA_DC_PATH = "/jira"  # Jira Data Center's context path, which Xray and Zephyr Scale DC share

# Zephyr Scale API tokens are long-lived JWTs made in the Jira UI, not exchanged at run time;
# a fixed signing key lets the demo token be a constant that every sandbox accepts.
ZEPHYR_KEY = b"demo-zephyr-signing-key-not-real"

_ZEPHYR_CLAIMS = {
    "context": {
        "baseUrl": "https://demo.atlassian.net",
        "user": {"accountId": "demo-account-id"},
    },
    "iss": "com.kanoah.test-manager",
    "sub": "demo-zephyr-client-key-demo-account-id",
    "iat": 1700000000,
    "exp": 4102444800,  # 2100-01-01: the real tokens also outlive any test run
}


@dataclass(frozen=True)
class DemoCredentials:
    """The sandbox's accounts; secrets stay out of ``repr`` like real ones would."""

    xray_client_id: str = "demo-xray-client-id"
    xray_client_secret: str = field(default="demo-xray-client-secret-not-real", repr=False)
    xray_other_region_client_id: str = "demo-xray-other-region-client-id"
    xray_unlicensed_client_id: str = "demo-xray-unlicensed-client-id"
    zephyr_token: str = field(default=jwt.encode(_ZEPHYR_CLAIMS, ZEPHYR_KEY), repr=False)
    jira_email: str = "demo.user@example.com"
    jira_api_token: str = field(default="demo-jira-api-token-not-real", repr=False)
    jira_username: str = "demo-user"
    jira_password: str = field(default="demo-jira-password-not-real", repr=False)
    jira_pat: str = field(default="demo-jira-pat-not-real", repr=False)
    jira_display_name: str = "Demo User"
    jira_account_id: str = "557058:00000000-0000-0000-0000-000000000000"


DEMO = DemoCredentials()


def demo_settings(url: str, deployment: Deployment) -> dict[str, str]:
    """Setting name -> value pointing every built-in provider at ``url`` with :data:`DEMO`."""
    if deployment == "cloud":
        return {
            "xray_deployment": "cloud",
            "xray_url": url,
            "xray_client_id": DEMO.xray_client_id,
            "xray_client_secret": DEMO.xray_client_secret,
            "zephyr_deployment": "cloud",
            "zephyr_url": url + "/v2/",
            "zephyr_token": DEMO.zephyr_token,
            "jira_deployment": "cloud",
            "jira_url": url,
            "jira_username": DEMO.jira_email,
            "jira_token": DEMO.jira_api_token,
        }
    if deployment == "datacenter":
        return {
            "xray_deployment": "datacenter",
            "zephyr_deployment": "datacenter",
            "jira_deployment": "datacenter",
            "jira_url": url + JIRA_DC_PATH,
            "jira_token": DEMO.jira_pat,
        }
    raise ValueError(f"deployment must be 'cloud' or 'datacenter', not {deployment!r}")
