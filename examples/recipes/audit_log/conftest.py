"""An audit log of logins: ``pytest_tm_auth_authenticated`` hears of each one, once.

The hook gets the provider and the token object. The provider's name and the token's
scheme and expiry are safe to record; its value is not (its ``repr`` is redacted anyway).
Here each login becomes a line on the ``audit`` logger, which pytest shows under "Captured
log setup" of the test that needed it; send it to your audit system instead::

    pytest examples/recipes/audit_log --tm-auth-sandbox
"""

from __future__ import annotations

import logging

from pytest_tm_auth import Provider, Token

AUDIT = logging.getLogger("audit")
AUDIT.setLevel(logging.INFO)


def pytest_tm_auth_authenticated(provider: Provider, token: Token) -> None:
    expiry = token.describe_expiry() or "no expiry"
    AUDIT.info("logged in to %s (%s token, %s)", provider.title, token.scheme, expiry)
