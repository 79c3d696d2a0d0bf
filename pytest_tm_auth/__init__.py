"""pytest-tm-auth: authenticated Xray, Zephyr Scale and Jira access for pytest suites."""

from __future__ import annotations

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
from pytest_tm_auth.provider import Login, Provider, Target, missing
from pytest_tm_auth.secret import Secret
from pytest_tm_auth.settings import Setting, Values
from pytest_tm_auth.token import Token

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
    "TmAuthError",
    "TmAuthWarning",
    "Token",
    "TokenStoreWarning",
    "Values",
    "missing",
]
