"""Credentials from a vault: a ``pytest_tm_auth_credentials`` hook, asked on first use.

``vault.json`` stands in for the vault; replace :func:`read_secret` with your client (hvac's
``client.secrets.kv.v2.read_secret_version``, a cloud secrets manager, a ``keyring`` call).
What the hook returns wins over every other source, even a stale ``JIRA_TOKEN`` left in
the environment; the settings it leaves out (URLs, user names) still come from the command
line, environment, ``.env`` or ini. For a provider it does not know it returns ``None``,
and that provider uses its settings alone. It runs only for providers a test uses::

    pytest examples/recipes/vault --tm-auth-sandbox
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from pytest_tm_auth import Provider

VAULT = Path(__file__).with_name("vault.json")

#: Where the vault keeps each provider's secrets.
VAULT_PATHS = {"jira": "ci/jira", "xray": "ci/xray"}


def read_secret(path: str) -> dict[str, str]:
    """Stands in for a vault client: the key/value pairs stored at ``path``."""
    entries: dict[str, dict[str, str]] = json.loads(VAULT.read_text(encoding="utf-8"))
    return entries[path]


def pytest_tm_auth_credentials(provider: Provider) -> Mapping[str, str] | None:
    path = VAULT_PATHS.get(provider.name)
    return None if path is None else read_secret(path)
