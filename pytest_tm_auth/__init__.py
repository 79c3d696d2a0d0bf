"""pytest-tm-auth: authenticated Xray, Zephyr Scale and Jira access for pytest suites."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any


def _load_without_assertion_rewriting(package: str) -> None:
    """Import this package's modules with Python's own loader, not pytest's rewriting hook.

    pytest marks every package of a ``pytest11`` plugin for assertion rewriting, and its
    import hook loads each module far slower than Python does: for this package's start-up
    modules, about 1.7 % of the work of a run of 500 quick tests (``benchmarks/README.md``).
    No module here holds asserts meant for users. pytest has no public switch for this, so
    the package leaves the hook's list of marked names; if that private list ever changes,
    nothing breaks: the modules load through the hook as before.
    """
    for finder in sys.meta_path:
        marked = getattr(finder, "_must_rewrite", None)
        if isinstance(marked, set) and package in marked:
            marked.discard(package)
            decided = getattr(finder, "_marked_for_rewrite_cache", None)
            if isinstance(decided, dict):
                decided.clear()


_load_without_assertion_rewriting(__name__)

from pytest_tm_auth.errors import (  # noqa: E402 - after leaving the rewriting hook's list
    AuthError,
    ConfigError,
    InsecureTransportWarning,
    MissingCredentials,
    SecretInIniWarning,
    TmAuthError,
    TmAuthWarning,
    TokenStoreWarning,
)
from pytest_tm_auth.provider import Login, Provider, Target, missing, site_url  # noqa: E402
from pytest_tm_auth.secret import Secret  # noqa: E402
from pytest_tm_auth.settings import Setting, Values  # noqa: E402
from pytest_tm_auth.urls import api_base  # noqa: E402

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
