"""The plugin's warnings: pytest warnings, so ``-W`` and ``filterwarnings`` select them."""

from __future__ import annotations

import pytest


class TmAuthWarning(pytest.PytestWarning):
    """Base of the plugin's warnings; never raised directly."""


class SecretInIniWarning(TmAuthWarning):
    """A secret is written literally in a committed ini file."""


class InsecureTransportWarning(TmAuthWarning):
    """TLS verification is off: anyone on the path can read the credentials."""


class TokenStoreWarning(TmAuthWarning):
    """The remembered-token store could not be used; the run logs in normally."""


class ShortSecretWarning(TmAuthWarning):
    """A secret cannot be hidden safely: under 4 characters it is not hidden at all, under 8
    only where it stands alone."""


class CommonWordSecretWarning(ShortSecretWarning):
    """A secret is a common word (``password``): hidden only where it stands alone, so
    ordinary text using the word shows ``***``."""


class DebugTraceWarning(TmAuthWarning):
    """``--debug`` writes pytest's hook trace, which no plugin can filter, with the secrets."""


class TokenExpiryWarning(TmAuthWarning):
    """A token's expiry cannot be read as a time: it is used, but never renewed ahead."""


def warn_token_expiry(message: str) -> None:
    """Issue a :class:`TokenExpiryWarning` (the login step's ``warn``)."""
    import warnings

    try:
        warnings.warn(TokenExpiryWarning(message), stacklevel=2)
    except TokenExpiryWarning:  # ``-W error``: the cause is the token's exp, not a hook
        from pytest_tm_auth.core.errors import TmAuthError

        raise TmAuthError(
            f"{message}; -W error made this TokenExpiryWarning an error, so the login failed "
            "— add -W default::pytest_tm_auth.TokenExpiryWarning after it to use the token"
        ) from None


class ExpiringCredentialWarning(TmAuthWarning):
    """A configured credential (a Zephyr Scale Cloud token) expires within 14 days."""


class UnencryptedGatewayWarning(TmAuthWarning):
    """An xdist worker behind an unencrypted ``--tx socket=`` gateway logs in itself."""


class StoredCredentialWarning(TmAuthWarning):
    """A secret ``pytest-tm-auth login`` stored cannot be read: the keyring is missing, locked,
    or the entry is gone. The provider is then not configured (its tests are skipped)."""
