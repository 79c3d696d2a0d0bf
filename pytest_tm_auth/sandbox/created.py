"""What requests create on the stand-in, kept so that the lists show it from then on.

Handler threads add while a test may read, so both happen under one lock, and reads return
a copy. ``Sandbox.reset()`` forgets it all: the seeded data alone is left.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Created"]


class Created:
    """Zephyr Scale test executions made by ``POST /v2/testexecutions``, oldest first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._executions: list[dict[str, Any]] = []

    def add_execution(self, make: Callable[[int], dict[str, Any]], first_id: int) -> dict[str, Any]:
        """Store ``make(id)``, numbered on from ``first_id`` (the first id after the seeded)."""
        with self._lock:
            execution = make(first_id + len(self._executions))
            self._executions.append(execution)
            return execution

    @property
    def executions(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._executions)

    def clear(self) -> None:
        with self._lock:
            self._executions.clear()
