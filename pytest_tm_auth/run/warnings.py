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


class UnencryptedGatewayWarning(TmAuthWarning):
    """An xdist worker behind an unencrypted ``--tx socket=`` gateway logs in itself."""
