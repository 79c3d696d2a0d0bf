"""The accounts a run saw accepted or refused: one refused Jira account is tried once.

Xray, Zephyr Scale and Jira Data Center log in with one Jira account, and each refused try
brings that account closer to Jira's CAPTCHA lock. Providers opt in by implementing
:class:`~pytest_tm_auth.core.provider.SharesAccount`; others never consult the ledger.

Who the credentials are has one canonical form, hashed, for every place that keys by them:
the ledger asks "is this the same account?" (site and credential values, across
providers); the token store asks "would this login return this token?" (also the provider,
its deployment and URLs). Both hash the same canonical text, so neither reveals a secret.
"""

from __future__ import annotations

import functools
import hashlib
import json
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pytest_tm_auth.core.errors import AuthError

if TYPE_CHECKING:
    from pytest_tm_auth.core.provider import Provider, Target
    from pytest_tm_auth.core.values import Values


@runtime_checkable
class SharesAccount(Protocol):
    """A provider whose credentials may be another provider's too (one Jira account).

    Providers that implement it opt into the one-refusal rule of
    :class:`Accounts`: an account refused once is not tried
    again by another provider in the run.
    """

    def account(self, target: Target, values: Values) -> str:
        """A key equal for every provider that logs in with the same account."""
        ...


class Accounts:
    """Per account key: refused (with the error), accepted, or not tried yet.

    Once refused (a 401, or Jira's denial), an account is not tried again by another
    provider; once accepted, a later refusal by one service (an unlicensed app) does not
    block the others. One lock per account makes the check and the try one step, also
    across threads.
    """

    def __init__(self) -> None:
        self._seen: dict[str, AuthError | None] = {}
        self._locks: dict[str, threading.RLock] = {}
        self._guard = threading.Lock()

    def lock(self, key: str) -> threading.RLock:
        with self._guard:
            return self._locks.setdefault(key, threading.RLock())

    def refusal(self, key: str) -> AuthError | None:
        return self._seen.get(key)

    def accepted(self, key: str) -> None:
        self._seen[key] = None

    def refused(self, key: str, error: AuthError) -> None:
        if key not in self._seen and error.credentials_refused:
            self._seen[key] = error


#: Bumped when the store key changes meaning, so old entries are never misread.
STORE_FORMAT = 1


def canonical(material: object) -> str:
    """One text for equal material: sorted keys, no spaces."""
    return json.dumps(material, sort_keys=True, separators=(",", ":"))


def account_key(url: str, values: Values, credentials: Iterable[str]) -> str:
    """Site and credential values, hashed: equal for providers sharing one account."""
    shown = [url, *(values.text(name) or "" for name in credentials)]
    return hashlib.sha256(canonical(shown).encode()).hexdigest()


def store_key(provider: Provider, target: Target, values: Values) -> str:
    """A hash of everything that decides which token a login returns; reveals none of it.

    scrypt rather than a plain hash: the material includes the secrets, and a copied store
    must not let anyone test guesses of a weak password quickly (about 50 ms a guess).
    """
    names = sorted({setting.name for setting in provider.settings} | set(target.credentials))
    material = {
        "format": STORE_FORMAT,
        "provider": provider.name,
        "deployment": target.deployment,
        "url": target.url,
        "api_url": target.api_url,
        "settings": {name: str(values.get(name)) for name in names if values.get(name)},
    }
    return _slow_hash(canonical(material))


@functools.lru_cache(maxsize=64)
def _slow_hash(text: str) -> str:
    """Computed once per key material and run: recall and remember share it."""
    return hashlib.scrypt(
        text.encode("utf-8"), salt=b"pytest-tm-auth token key", n=2**14, r=8, p=1, dklen=32
    ).hex()
