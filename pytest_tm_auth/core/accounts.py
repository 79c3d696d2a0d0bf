"""The accounts a run saw accepted or refused: one refused Jira account is tried once.

Xray, Zephyr Scale and Jira Data Center log in with one Jira account, and each refused try
brings that account closer to Jira's CAPTCHA lock. Providers opt in by implementing
:class:`~pytest_tm_auth.core.provider.SharesAccount`; others never consult the ledger.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from pytest_tm_auth.core.errors import AuthError

if TYPE_CHECKING:
    from pytest_tm_auth.core.provider import Target
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
