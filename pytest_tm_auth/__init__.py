"""pytest-tm-auth: authenticated Xray, Zephyr Scale and Jira access for pytest suites.

The public names below load on first access: every pytest run imports this package, and
most never use a provider. Installed, the package is marked for pytest's assertion-rewriting
hook, which would load every module of it, at a cost: they assert nothing, so they load as
Python loads them (:func:`._compat.load_without_rewriting`).
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

if "_pytest.assertion.rewrite" in sys.modules:  # imported by pytest, which may mark it
    from pytest_tm_auth import _compat

    _compat.load_without_rewriting(__name__)

if TYPE_CHECKING:
    from pytest_tm_auth.core.errors import AuthError, ConfigError, MissingCredentials, TmAuthError
    from pytest_tm_auth.core.provider import Login, Provider, Target, missing
    from pytest_tm_auth.core.token import Token
    from pytest_tm_auth.core.urls import api_base
    from pytest_tm_auth.core.values import Secret, Setting, Values
    from pytest_tm_auth.http.diagnose import verify_token
    from pytest_tm_auth.results.notes import ResultNotes
    from pytest_tm_auth.run.startup import TmAuth
    from pytest_tm_auth.run.warnings import (
        CommonWordSecretWarning,
        DebugTraceWarning,
        ExpiringCredentialWarning,
        InsecureTransportWarning,
        SecretInIniWarning,
        ShortSecretWarning,
        TmAuthWarning,
        TokenExpiryWarning,
        TokenStoreWarning,
    )
    from pytest_tm_auth.settings.run_wide import site_url

#: Where each public name lives.
_HOMES = {
    "AuthError": "core.errors",
    "ConfigError": "core.errors",
    "MissingCredentials": "core.errors",
    "TmAuthError": "core.errors",
    "Login": "core.provider",
    "Provider": "core.provider",
    "Target": "core.provider",
    "missing": "core.provider",
    "Secret": "core.values",
    "Token": "core.token",
    "api_base": "core.urls",
    "verify_token": "http.diagnose",
    "ResultNotes": "results.notes",
    "TmAuth": "run.startup",
    "InsecureTransportWarning": "run.warnings",
    "SecretInIniWarning": "run.warnings",
    "TmAuthWarning": "run.warnings",
    "TokenExpiryWarning": "run.warnings",
    "TokenStoreWarning": "run.warnings",
    "ShortSecretWarning": "run.warnings",
    "CommonWordSecretWarning": "run.warnings",
    "DebugTraceWarning": "run.warnings",
    "ExpiringCredentialWarning": "run.warnings",
    "Setting": "core.values",
    "Values": "core.values",
    "site_url": "settings.run_wide",
}

__all__ = [
    "AuthError",
    "CommonWordSecretWarning",
    "ConfigError",
    "DebugTraceWarning",
    "ExpiringCredentialWarning",
    "InsecureTransportWarning",
    "Login",
    "MissingCredentials",
    "Provider",
    "ResultNotes",
    "Secret",
    "SecretInIniWarning",
    "Setting",
    "ShortSecretWarning",
    "Target",
    "TmAuth",
    "TmAuthError",
    "TmAuthWarning",
    "Token",
    "TokenExpiryWarning",
    "TokenStoreWarning",
    "Values",
    "api_base",
    "missing",
    "site_url",
    "verify_token",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # Not kept in this module: pytester's in-process runs drop and re-import modules, and a
    # name kept here would then be another class than the one its module now holds.
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)


def __dir__() -> list[str]:
    return sorted(__all__)
