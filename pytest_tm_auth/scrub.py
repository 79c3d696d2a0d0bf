"""Replace every known secret in a text before a user can see it."""

from __future__ import annotations

import threading

from pytest_tm_auth.secret import REDACTED

#: Shorter values are not scrubbed: a 3-letter "secret" would blank out ordinary words.
MIN_SCRUB_LENGTH = 4


class Scrubber:
    """The run's known secrets (settings and issued tokens); ``scrub`` hides them in text."""

    def __init__(self) -> None:
        self._secrets: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def add(self, *values: str | None) -> None:
        fresh = {v for v in values if v and len(v) >= MIN_SCRUB_LENGTH}
        if not fresh <= self._secrets:
            with self._lock:
                self._secrets = self._secrets | fresh

    def scrub(self, text: str) -> str:
        # Longest first, so a token containing a shorter secret is hidden whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def __bool__(self) -> bool:
        return bool(self._secrets)
