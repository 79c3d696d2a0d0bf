"""What the stand-in accepts as proof of who calls: obviously fake credentials, so examples
run with no account, and the HS256 JSON Web Tokens it issues and checks.

Real Xray and Zephyr tokens are HS256 JWTs; clients read ``exp`` from them, so the stand-in
issues the same shape instead of opaque strings (just enough JWT for its own tokens).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "DEMO",
    "FLOWS",
    "GATEWAY_PATH",
    "JIRA_DC_PATH",
    "ZEPHYR_KEY",
    "DemoCredentials",
    "Deployment",
    "ExpiredToken",
    "InvalidToken",
    "decode_jwt",
    "demo_settings",
    "encode_jwt",
    "zephyr_token",
]

Deployment = Literal["cloud", "datacenter", "cloud-scoped", "cloud-oauth", "datacenter-oauth"]
#: Every flow the stand-in serves, as ``settings(flow)`` and ``python -m ...sandbox`` name them.
FLOWS: tuple[Deployment, ...] = (
    "cloud",
    "datacenter",
    "cloud-scoped",
    "cloud-oauth",
    "datacenter-oauth",
)
GATEWAY_PATH = "/gateway"  # the stand-in's API gateway, as api.atlassian.com is Atlassian's

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


# HS256 tokens, as real Xray and Zephyr Scale issue

_JWT_HEADER = {"alg": "HS256", "typ": "JWT"}


class InvalidToken(ValueError):
    """Not a token this key signed (malformed, wrong algorithm, bad signature)."""


class ExpiredToken(InvalidToken):
    """Signed by this key, but ``exp`` has passed."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError) as exc:
        raise InvalidToken("malformed token") from exc


def _part(data: Mapping[str, Any]) -> str:
    return _b64encode(json.dumps(data, separators=(",", ":")).encode())


def _sign(signing_input: str, key: bytes) -> str:
    return _b64encode(hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest())


def encode_jwt(claims: Mapping[str, Any], key: bytes) -> str:
    """Sign ``claims`` with ``key``: ``header.payload.signature``."""
    signing_input = f"{_part(_JWT_HEADER)}.{_part(claims)}"
    return f"{signing_input}.{_sign(signing_input, key)}"


def _load(part: str) -> dict[str, Any]:
    try:
        value = json.loads(_b64decode(part))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidToken("malformed token") from exc
    if not isinstance(value, dict):
        raise InvalidToken("malformed token")
    return value


def decode_jwt(token: str, key: bytes, *, now: float | None = None) -> dict[str, Any]:
    """Return the claims if ``key`` signed ``token`` and it has not expired; raise otherwise."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise InvalidToken("malformed token")
    header, payload, signature = parts
    if _load(header).get("alg") != "HS256":
        raise InvalidToken("unsupported algorithm")
    try:
        expected = _sign(f"{header}.{payload}", key)
    except UnicodeEncodeError as exc:
        raise InvalidToken("malformed token") from exc
    if not hmac.compare_digest(expected, signature):
        raise InvalidToken("bad signature")
    claims = _load(payload)
    exp = claims.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise InvalidToken("no expiry")
    if (time.time() if now is None else now) >= exp:
        raise ExpiredToken("token expired")
    return claims


@dataclass(frozen=True)
class DemoCredentials:
    """The sandbox's accounts; secrets stay out of ``repr`` like real ones would."""

    xray_client_id: str = "demo-xray-client-id"
    xray_client_secret: str = field(default="demo-xray-client-secret-not-real", repr=False)
    xray_other_region_client_id: str = "demo-xray-other-region-client-id"
    xray_unlicensed_client_id: str = "demo-xray-unlicensed-client-id"
    zephyr_token: str = field(default=encode_jwt(_ZEPHYR_CLAIMS, ZEPHYR_KEY), repr=False)
    jira_email: str = "demo.user@example.com"
    jira_api_token: str = field(default="demo-jira-api-token-not-real", repr=False)
    jira_username: str = "demo-user"
    jira_password: str = field(default="demo-jira-password-not-real", repr=False)
    jira_pat: str = field(default="demo-jira-pat-not-real", repr=False)
    jira_display_name: str = "Demo User"
    jira_account_id: str = "557058:00000000-0000-0000-0000-000000000000"
    jira_scoped_token: str = field(default="demo-jira-scoped-token-not-real", repr=False)
    jira_cloud_id: str = "00000000-demo-c10d-1d00-000000000000"
    cloud_client_id: str = "demo-service-account-client-id"
    cloud_client_secret: str = field(default="demo-service-account-secret-not-real", repr=False)
    dc_client_id: str = "demo-jira-dc-oauth-client-id"
    dc_client_secret: str = field(default="demo-jira-dc-oauth-secret-not-real", repr=False)


DEMO = DemoCredentials()


def zephyr_token(lifetime: float) -> str:
    """A Zephyr Scale Cloud token like the demo one, expiring ``lifetime`` seconds from now."""
    claims = dict(_ZEPHYR_CLAIMS, iat=math.floor(time.time()))
    claims["exp"] = math.floor(time.time() + lifetime)
    return encode_jwt(claims, ZEPHYR_KEY)


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
    if deployment == "cloud-scoped":  # Jira only: the token the site refuses
        return {
            "jira_deployment": "cloud",
            "jira_url": url,
            "jira_username": DEMO.jira_email,
            "jira_token": DEMO.jira_scoped_token,
            "jira_gateway_url": url + GATEWAY_PATH,
        }
    if deployment == "cloud-oauth":  # Jira only: a service account's OAuth client
        return {
            "jira_deployment": "cloud",
            "jira_url": url,
            "jira_client_id": DEMO.cloud_client_id,
            "jira_client_secret": DEMO.cloud_client_secret,
            "jira_gateway_url": url + GATEWAY_PATH,
            "jira_oauth_url": url + "/oauth/token",
        }
    if deployment == "datacenter-oauth":
        return {
            "xray_deployment": "datacenter",
            "zephyr_deployment": "datacenter",
            "jira_deployment": "datacenter",
            "jira_url": url + JIRA_DC_PATH,
            "jira_client_id": DEMO.dc_client_id,
            "jira_client_secret": DEMO.dc_client_secret,
        }
    if deployment == "datacenter":
        return {
            "xray_deployment": "datacenter",
            "zephyr_deployment": "datacenter",
            "jira_deployment": "datacenter",
            "jira_url": url + JIRA_DC_PATH,
            "jira_token": DEMO.jira_pat,
        }
    raise ValueError(f"deployment must be one of {', '.join(FLOWS)}, not {deployment!r}")
