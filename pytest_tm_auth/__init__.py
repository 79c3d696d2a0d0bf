"""pytest-tm-auth: authenticated Xray, Zephyr Scale and Jira access for pytest suites."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_tm_auth.errors import (
    AuthError,
    ConfigError,
    InsecureTransportWarning,
    MissingCredentials,
    SecretInIniWarning,
    TmAuthError,
    TmAuthWarning,
    TokenStoreWarning,
)
from pytest_tm_auth.provider import Login, Provider, Target, missing, site_url
from pytest_tm_auth.secret import Secret
from pytest_tm_auth.settings import Setting, Values
from pytest_tm_auth.urls import api_base

if TYPE_CHECKING:
    from pytest_tm_auth.registry import TmAuth
    from pytest_tm_auth.token import Token
    from pytest_tm_auth.verify import verify_token

__all__ = [
    "AuthError",
    "ConfigError",
    "InsecureTransportWarning",
    "Login",
    "MissingCredentials",
    "Provider",
    "Secret",
    "SecretInIniWarning",
    "Setting",
    "Target",
    "TmAuth",
    "TmAuthError",
    "TmAuthWarning",
    "Token",
    "TokenStoreWarning",
    "Values",
    "api_base",
    "missing",
    "site_url",
    "verify_token",
]


def __getattr__(name: str) -> Any:
    """``TmAuth``, ``Token`` and ``verify_token`` on first access: runs that log in to
    nothing never need them (``verify_token`` imports requests)."""
    if name == "TmAuth":
        from pytest_tm_auth.registry import TmAuth

        return TmAuth
    if name == "Token":
        from pytest_tm_auth.token import Token

        return Token
    if name == "verify_token":
        from pytest_tm_auth.verify import verify_token

        return verify_token
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
