"""Configured credentials that expire soon: said in the header, the check table, a warning.

A provider tells when a credential it was given lapses with an optional
``credential_expiry(values) -> float | None`` (Zephyr Scale Cloud reads its token's JWT
``exp``, best effort). Within :data:`SOON` the header says when, and the first login warns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from pytest_tm_auth.core.token import time_left, utc_time

if TYPE_CHECKING:
    from pytest_tm_auth.core.provider import Provider
    from pytest_tm_auth.settings.model import Values

SOON = 14 * 86400.0


def expiry_note(expires_at: float | None, now: float | None = None) -> str:
    """``token expires 2026-12-10 14:02 UTC`` within 14 days, ``token expired ...`` after."""
    if expires_at is None:
        return ""
    now = time.time() if now is None else now
    if expires_at <= now:
        return f"token expired {utc_time(expires_at)}"
    if expires_at - now <= SOON:
        return f"token expires {utc_time(expires_at)}"
    return ""


def credential_expiry(provider: Provider, values: Values) -> float | None:
    """When a configured credential lapses, if its provider can tell, else ``None``."""
    told = getattr(provider, "credential_expiry", None)
    return told(values) if callable(told) else None


def soon_expiry(provider: Provider, values: Values) -> float | None:
    """:func:`credential_expiry`, only when it is within 14 days (or past)."""
    expires_at = credential_expiry(provider, values)
    return expires_at if expiry_note(expires_at) else None


def warn_if_expiring(
    provider: Provider,
    values: Values,
    place: Callable[[], tuple[str, int]],
    renewal: bool = False,
) -> None:
    """An :class:`ExpiringCredentialWarning` when the credential lapses within 14 days
    (at the first login, not at renewals), pointing at ``place``: where it was set."""
    if renewal:
        return
    title = provider.title
    expires_at = credential_expiry(provider, values)
    note = expiry_note(expires_at)
    if note and expires_at is not None and expires_at > time.time():
        from pytest_tm_auth.run.warnings import ExpiringCredentialWarning, warn_in_login

        warning = ExpiringCredentialWarning(
            f"{title}: the configured {note} (in {time_left(expires_at - time.time())}): "
            "make a new one before then"
        )
        warn_in_login(warning, place())
