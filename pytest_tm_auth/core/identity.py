"""Who the credentials are: one canonical form, hashed, for every place that keys by them.

The account ledger asks "is this the same account?" (site and credential values, across
providers); the token store asks "would this login return this token?" (also the provider,
its deployment and URLs). Both hash the same canonical text, so neither reveals a secret.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_tm_auth.core.provider import Provider, Target
    from pytest_tm_auth.core.values import Values

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
