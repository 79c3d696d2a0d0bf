"""Replace every known secret in a text before a user can see it."""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from collections.abc import Callable, Iterable
from urllib.parse import quote, quote_plus

from pytest_tm_auth.core.values import REDACTED

#: Shorter values are not scrubbed: a 3-letter "secret" would blank out ordinary words.
MIN_SCRUB_LENGTH = 4
#: Values shorter than this are hidden only where they stand alone (not inside a word or an
#: identifier): a 4-letter password such as ``test`` occurs inside words everywhere.
SHORT_SECRET = 8
#: What may not stand right before or after a short secret for it to count as one.
_WORD = "A-Za-z0-9_"
#: Pieces this long of a secret twice as long are hidden by ``scrub(..., pieces=True)``:
#: pytest shortens long values in reports (``'eyJhbGci...Vw4'``), cutting a token in two.
PIECE_LENGTH = 12
#: Runs of base64 long enough to hold a secret: basic auth encodes ``user:password`` so.
#: A pattern, not a compiled regex: ``re`` compiles it on first use, not at every start.
_BASE64 = r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{8,}={0,2}"


class Scrubber:
    """The run's known secrets (settings and issued tokens); ``scrub`` hides them in text."""

    def __init__(self) -> None:
        self._secrets: frozenset[str] = frozenset()
        #: Secrets (and their forms) shorter than :data:`SHORT_SECRET`: hidden as whole words.
        self._short: frozenset[str] = frozenset()
        self._pieces: frozenset[str] = frozenset()
        self._lock = threading.Lock()
        #: Finders of secrets not read yet, and the lock that makes every thread wait for them.
        self._pending: list[Callable[[], Iterable[str | None]]] = []
        self._finding = threading.RLock()
        self._finding_now = False

    def add_later(self, secrets: Callable[[], Iterable[str | None]]) -> None:
        """Know what ``secrets()`` returns before the first text is scrubbed, not sooner.

        For secrets that cost something to find (reading a ``.env`` file): a run whose
        output never holds text to scrub never pays for them.
        """
        with self._finding:
            self._pending.append(secrets)

    def add_pending(self) -> None:
        """Find the secrets :meth:`add_later` put off, now; other threads wait for them.

        Text scrubbed while they are being found, by the finder itself (a parse warning
        logged while a file is read), goes through as is: it cannot hold them yet.
        """
        with self._finding:
            if self._finding_now:
                return
            self._finding_now = True
            try:
                while self._pending:
                    find = self._pending.pop(0)
                    self.add(*find())
            finally:
                self._finding_now = False

    def add(self, *values: str | None) -> None:
        """Know ``values`` from now on, in every form they may be printed (see :func:`forms`)."""
        found = {
            form for v in values if v for form in forms(str(v)) if len(form) >= MIN_SCRUB_LENGTH
        }
        short = {form for form in found if len(form) < SHORT_SECRET}
        fresh = found - short
        if not (fresh <= self._secrets and short <= self._short):
            with self._lock:
                self._secrets = self._secrets | fresh
                self._short = self._short | short
                self._pieces = self._pieces | {
                    secret[start : start + PIECE_LENGTH]
                    for secret in fresh
                    if len(secret) >= 2 * PIECE_LENGTH
                    for start in range(len(secret) - PIECE_LENGTH + 1)
                }

    def scrub(self, text: str, *, pieces: bool = False) -> str:
        """``text`` with every known secret replaced; ``pieces`` also hides cut-off parts.

        Looking for pieces costs a pass over the text, so it is meant for failure reports,
        where pytest's shortened reprs can cut a secret, not for every captured line.
        """
        if self._pending or self._finding_now:
            self.add_pending()  # waits while another thread finds them
        # Longest first, so a token containing a shorter secret is hidden whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, REDACTED)
        for secret in self._short:
            if secret in text:
                text = re.sub(_alone(secret), REDACTED, text)
        if self._secrets or self._short:
            text = re.sub(_BASE64, self._hide_encoded, text)
        return self._scrub_pieces(text) if pieces and self._pieces else text

    def _hide_encoded(self, match: re.Match[str]) -> str:
        """A base64 run that decodes to text holding a secret (``Basic user:secret``)."""
        run = match.group(0)
        try:
            decoded = base64.b64decode(run, validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            return run
        if any(secret in decoded for secret in self._secrets):
            return REDACTED
        return REDACTED if any(re.search(_alone(s), decoded) for s in self._short) else run

    def _scrub_pieces(self, text: str) -> str:
        spans: list[list[int]] = []
        for start in range(len(text) - PIECE_LENGTH + 1):
            if text[start : start + PIECE_LENGTH] in self._pieces:
                end = start + PIECE_LENGTH
                if spans and start <= spans[-1][1]:
                    spans[-1][1] = end
                else:
                    spans.append([start, end])
        for start, end in reversed(spans):
            text = text[:start] + REDACTED + text[end:]
        return text

    def __bool__(self) -> bool:
        return bool(self._secrets or self._short or self._pending or self._finding_now)


def _alone(secret: str) -> str:
    """A pattern for ``secret`` standing alone: no letter, digit or ``_`` right beside it."""
    return f"(?<![{_WORD}]){re.escape(secret)}(?![{_WORD}])"


def is_short(secret: str) -> bool:
    """A secret too short to hide inside other text: only where it stands alone."""
    return MIN_SCRUB_LENGTH <= len(secret) < SHORT_SECRET


def forms(value: str) -> set[str]:
    """``value`` as output may show it: as is, escaped in JSON or a repr, or URL-encoded.

    A server that echoes a request quotes it JSON-escaped; pytest shows strings as reprs
    (a backslash doubled); query strings and form bodies carry it percent-encoded.
    """
    return {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        repr(value)[1:-1],
        quote(value, safe=""),
        quote_plus(value, safe=""),
    }
