"""The plugin's exceptions and warnings: each carries one sentence a user can act on."""

from __future__ import annotations

import pytest


class TmAuthError(Exception):
    """Base of the plugin's errors; ``str()`` is the whole user-facing message."""


class ConfigError(TmAuthError):
    """A setting has an invalid value; becomes ``pytest.UsageError`` at start."""


class MissingCredentials(TmAuthError):
    """A provider is not configured; tests that need it are skipped (or fail)."""


class AuthError(TmAuthError):
    """Logging in failed; tests that need the provider error with this one message.

    ``credentials_refused`` says the service refused the credentials themselves (a 401 by
    default, or Jira's login denial): other providers sharing them will not try them again.
    """

    def __init__(
        self,
        provider: str,
        url: str,
        problem: str,
        *,
        fix: str = "",
        status: int | None = None,
        credentials_refused: bool | None = None,
    ) -> None:
        self.provider = provider
        self.url = url
        self.problem = problem
        self.fix = fix
        self.status = status
        self.credentials_refused = (
            status == 401 if credentials_refused is None else credentials_refused
        )
        message = f"{provider} login failed at {url}: {problem}"
        if fix:
            message += f" — {fix}"
        super().__init__(message)


class TmAuthWarning(pytest.PytestWarning):
    """Base of the plugin's warnings; never raised directly."""


class SecretInIniWarning(TmAuthWarning):
    """A secret is written literally in a committed ini file."""


class InsecureTransportWarning(TmAuthWarning):
    """TLS verification is off: anyone on the path can read the credentials."""


class TokenStoreWarning(TmAuthWarning):
    """The remembered-token store could not be used; the run logs in normally."""
