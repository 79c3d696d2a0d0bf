"""Replace every known secret in a text before a user can see it, in every form output may
show it: escaped, encoded, normalised.

A server that echoes a request quotes it JSON-escaped (and a JSON body inside a JSON
string, twice); pytest shows strings as reprs (a backslash doubled); query strings and
form bodies carry it percent-encoded, in upper or lower case, with ``/`` kept or not; an
HTML report escapes ``<``, ``&`` and quotes; ``bytes`` show non-ASCII as ``\\xc3\\xa9``;
and ``base64`` hides it inside ``user:secret`` or any other text.
"""

from __future__ import annotations

import json
import re
import string
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable

from pytest_tm_auth.core.values import REDACTED

#: Secrets shorter than this get no base64 forms: a few characters of base64 match anywhere.
MIN_ENCODED_LENGTH = 8
#: Longer values (a pasted file) keep only the forms output shows them in most (as is,
#: JSON-escaped, as a repr): each form is a whole copy, and there are dozens of them.
MAX_ALL_FORMS_LENGTH = 1024
#: What every escaping and URL-encoding above leaves as it is: a secret made only of these
#: (most tokens and keys: JWTs, API tokens, client secrets) shows in one form.
UNCHANGED = frozenset(string.ascii_letters + string.digits + "-._~")


def forms(value: str) -> set[str]:
    """``value`` as output may show it: as is, escaped (once or twice), or URL-encoded."""
    if UNCHANGED.issuperset(value):
        return {value}
    import html  # here: a run whose output holds nothing to hide never needs them
    from urllib.parse import quote, quote_plus

    if len(value) > MAX_ALL_FORMS_LENGTH:
        return {value, json.dumps(value)[1:-1], repr(value)[1:-1]}
    written = {value}
    if not value.isascii():  # the same text, composed or decomposed (macOS file names: NFD)
        written |= {unicodedata.normalize(form, value) for form in ("NFC", "NFD")}
    shown: set[str] = set()
    for text in written:
        escaped = {
            text,
            json.dumps(text)[1:-1],
            json.dumps(text, ensure_ascii=False)[1:-1],
            repr(text)[1:-1],
        }
        shown |= escaped
        shown |= {json.dumps(once)[1:-1] for once in escaped}  # JSON inside a JSON string
        shown |= {html.escape(once) for once in escaped} | {html.escape(text, quote=False)}
        encoded = {quote(text, safe=""), quote(text), quote_plus(text, safe=""), quote_plus(text)}
        shown |= encoded | {_lower_hex(url) for url in encoded}
        if not text.isascii():
            shown.add(repr(text.encode("utf-8"))[2:-1])  # b'\xc3\xa9'
    return shown


def encoded_forms(value: str) -> set[str]:
    """What ``value`` always turns into inside base64 (standard and URL-safe), whatever
    comes before or after it: one run for each of the three ways it can align to the
    3-byte groups, without the first and last characters that its neighbours change."""
    import base64

    data = value.encode("utf-8")
    if len(data) < MIN_ENCODED_LENGTH:
        return set()
    found: set[str] = set()
    for lead in range(3):
        encoded = base64.b64encode(bytes(lead) + data).decode("ascii")
        core = encoded[(8 * lead + 5) // 6 : 8 * (lead + len(data)) // 6]
        # The URL-safe alphabet by two replaces: ``str.translate`` looks each character up
        # in a dict, some 150 k instructions a secret at every run's first scrub.
        found |= {core, core.replace("+", "-").replace("/", "_")}
    return found


def every_form(value: str) -> set[str]:
    """Every text ``value`` may be found in: its :func:`forms`, and its runs inside base64
    (:func:`encoded_forms`) unless it is too short or common to be looked for there."""
    found = forms(value)
    return found | encoded_forms(value) if how_hidden(value) is None else found


def _lower_hex(url: str) -> str:
    return re.sub("%[0-9A-F]{2}", lambda escape: escape.group(0).lower(), url)


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
#: Longer secrets (a pasted file) get no pieces: they would cost ~100 bytes per character.
#: Their ends cut at an ellipsis are still hidden (see :data:`CUT_END`).
MAX_PIECED_LENGTH = 1024
#: A secret's start right before an ellipsis, or its end right after one, is hidden from
#: this length on (``scrub(..., pieces=True)``): pytest's ``saferepr`` cuts long reprs in the
#: middle (``'demo-sec...not-real'``), and may cut a secret of any length so.
CUT_END = 3
#: How far from an ellipsis a cut secret is looked for: ``saferepr`` keeps 240 characters.
_CUT_REACH = 256
_ELLIPSES = ("...", "\u2026")
#: Runs of base64 (standard or URL-safe, padded or not) long enough to hold a secret: basic
#: auth encodes ``user:password`` so. A run may follow ``=`` (``?auth=``) or an escape
#: (``%20``). Compiled with the shortest run that can hold a known secret (:func:`base64_runs`).
_BASE64 = r"(?:(?<![A-Za-z0-9+/%_-])|(?<=%[0-9A-Fa-f]{2}))[A-Za-z0-9+/_-]{LEAST,}={0,2}"
REMEMBERED_LENGTH, REMEMBERED_TEXTS = 1024, 200_000  # Scrubber.remembered: how long, how many


class Scrubber:
    """The run's known secrets (settings and issued tokens); ``scrub`` hides them in text."""

    def __init__(self) -> None:
        self._secrets: frozenset[str] = frozenset()
        #: The secrets, longest first: sorted when learned, not at every scrub.
        self._ordered: list[str] = []
        #: Secrets (and forms) too short or too common to hide inside words: hidden standing alone.
        self._short: frozenset[str] = frozenset()
        #: What the secrets always turn into inside base64, whatever surrounds them.
        self._encoded: frozenset[str] = frozenset()
        self._pieces: frozenset[str] = frozenset()
        #: Secrets whose pieces are not cut yet: only ``scrub(..., pieces=True)`` needs them.
        self._uncut: frozenset[str] = frozenset()
        #: The base64 runs that may hold a secret (none known: none), whether every secret is
        #: its only form, and the shortest text a form can be in (a key: none).
        self._runs: re.Pattern[str] | None = None
        self._plain = True
        self._least = sys.maxsize
        #: What :meth:`remembered` scrubbed, and into what: emptied when a secret is learned.
        self._kept: dict[str, str] = {}
        self._lock = threading.Lock()
        #: Finders of secrets not read yet, and the lock that makes every thread wait for them.
        self._pending: list[Callable[[], Iterable[str | None]]] = []
        self._finding = threading.RLock()
        self._finding_now = False

    def add_later(self, secrets: Callable[[], Iterable[str | None]]) -> None:
        """Know what ``secrets()`` returns before the first text is scrubbed, not sooner: a
        run that scrubs no text never pays for finding them (a ``.env`` file read)."""
        with self._finding:
            self._pending.append(secrets)

    def add_pending(self) -> None:
        """Find the secrets :meth:`add_later` put off, now; other threads wait for them. What
        the finder scrubs meanwhile (a parse warning) goes through: it cannot hold them."""
        with self._finding:
            if self._finding_now:
                return
            self._finding_now = True
            try:
                while self._pending:
                    find = self._pending.pop(0)
                    self._learn(*(str(value) for value in find() if value))
            finally:
                self._finding_now = False

    def add(self, *values: str | None) -> None:
        """Know ``values`` from now on, in every form they may be printed (see :func:`forms`).

        A value too short or too common to hide inside other text (:func:`how_hidden`) is
        hidden only where it stands alone; its longer forms (``%``-escaped) everywhere. The
        forms are worked out before the next text is scrubbed: a run that scrubs none never
        pays for them."""
        kept = tuple(
            text for text in map(str, filter(None, values)) if len(text) >= MIN_SCRUB_LENGTH
        )
        if kept:
            with self._finding:
                self._pending.append(lambda: kept)

    def _learn(self, *values: str) -> None:
        """Every form of ``values``, known from now on."""
        fresh: set[str] = set()
        short: set[str] = set()
        encoded: set[str] = set()
        for value in values:
            if len(value) < MIN_SCRUB_LENGTH:
                continue
            alone = how_hidden(value) is not None
            for form in forms(value):
                if len(form) < SHORT_SECRET or (alone and form == value):
                    short.add(form)
                else:
                    fresh.add(form)
            if not alone:
                encoded |= encoded_forms(value)
        if not (fresh <= self._secrets and short <= self._short and encoded <= self._encoded):
            with self._lock:  # the shortcuts first: a scrub meanwhile sees them no laxer
                self._plain = self._plain and all(map(UNCHANGED.issuperset, fresh))
                self._least = min([self._least, *map(len, fresh | short | encoded)])
                self._uncut |= fresh - self._secrets
                self._secrets = self._secrets | fresh
                # Longest first, so a token containing a shorter secret is hidden whole.
                self._ordered = sorted(self._secrets, key=len, reverse=True)
                self._short = self._short | short
                self._encoded = self._encoded | encoded
                self._runs = base64_runs(self._secrets | self._short)
                self._kept = {}

    def scrub(self, text: str, *, pieces: bool = False) -> str:
        """``text`` with every known secret replaced; ``pieces`` also hides cut-off parts.

        Looking for pieces costs a pass over the text, so it is meant for failure reports,
        where pytest's shortened reprs can cut a secret, not for every captured line.
        """
        if self._pending or self._finding_now:
            self.add_pending()  # waits while another thread finds them
        kept = None if pieces or len(text) > REMEMBERED_LENGTH else self._kept.get(text)
        return kept if kept is not None else self._scrubbed(text, pieces)

    def remembered(self, text: str) -> str:
        """``scrub(text)``, kept until a secret is learned: results scrub a test's id twice."""
        if self._pending or self._finding_now:
            self.add_pending()
        kept = self._kept  # the secrets' own: a secret learned meanwhile replaces it
        found = kept.get(text)
        if found is None:
            found = self._scrubbed(text, False)
            if len(text) <= REMEMBERED_LENGTH and len(kept) < REMEMBERED_TEXTS:
                kept[text] = found
        return found

    def _scrubbed(self, text: str, pieces: bool) -> str:
        if len(text) < self._least and not pieces:
            return text  # every form, base64 run or split secret is at least this long
        for secret in self._ordered:
            if secret in text:
                text = text.replace(secret, REDACTED)
        for secret in self._short:
            if secret in text:
                text = re.sub(_alone(secret), REDACTED, text)
        found = [core for core in self._encoded if core in text]
        if found or self._short or not self._plain:  # else no run can hold one: see hide_runs
            text = hide_runs(text, self._runs, self._secrets, self._short)
        for core in found:  # what the whole runs above did not hold (URL-encoded)
            text = text.replace(core, REDACTED)
        if "\n" in text:
            text = _hide_across_lines(text, self._ordered)
        if pieces and any(ellipsis in text for ellipsis in _ELLIPSES):
            text = _hide_cut_ends(text, self._ordered)
        return hide_pieces(text, cut) if pieces and (cut := self._cut_pieces()) else text

    def _cut_pieces(self) -> frozenset[str]:
        """The pieces, cut when first asked for: a run that scrubs no failure never cuts any."""
        if self._uncut:
            with self._lock:
                uncut = self._uncut
                self._pieces = self._pieces | pieces_of(uncut)
                self._uncut = self._uncut - uncut  # emptied once the pieces are there
        return self._pieces

    def held_in(self, data: bytes) -> bool:
        """Whether bytes that cannot be scrubbed as text hold a secret (see :func:`held`)."""
        if self._pending or self._finding_now:
            self.add_pending()
        return held(data, self._secrets | self._encoded)

    def __bool__(self) -> bool:
        return bool(self._secrets or self._short or self._pending or self._finding_now)


def hide_runs(
    text: str, runs: re.Pattern[str] | None, secrets: frozenset[str], short: frozenset[str]
) -> str:
    """Every run of base64 in ``text`` long enough to hold a secret, hidden where it does.

    The scrubber decodes runs only where they can hold one: base64 of text that holds a
    secret holds one of the secret's cores (:func:`encoded_forms`), when the secret is its
    only form and no short secret is known (most tokens). A long test name,
    ``test_creates_an_order_for_a_customer``, is a run of URL-safe base64 characters too.
    """
    if runs is None or not runs.search(text):
        return text
    return runs.sub(lambda run: hide_encoded(run[0], secrets, short), text)


def hide_encoded(run: str, secrets: frozenset[str], short: frozenset[str]) -> str:
    """A base64 run that decodes to text holding a secret (``Basic user:secret``) hidden."""
    body = run.rstrip("=")
    urlsafe = "-" in body or "_" in body
    if len(body) % 4 == 1 or (urlsafe and ("+" in body or "/" in body)):
        return run
    import base64

    try:
        decoded = base64.b64decode(
            body + "=" * (-len(body) % 4), altchars=b"-_" if urlsafe else None, validate=True
        ).decode("utf-8")
    except ValueError:  # binascii.Error too
        return run
    if any(secret in decoded for secret in secrets):
        return REDACTED
    return REDACTED if any(re.search(_alone(s), decoded) for s in short) else run


def held(data: bytes, secrets: frozenset[str]) -> bool:
    """Whether ``data`` holds one of ``secrets`` (their forms) in UTF-8 or in UTF-16: binary
    data cannot be scrubbed, but a secret written into it as text can still be found."""
    return any(
        form.encode(encoding) in data
        for form in secrets
        for encoding in ("utf-8", "utf-16-le", "utf-16-be")
    )


def pieces_of(secrets: frozenset[str]) -> set[str]:
    """Every run of :data:`PIECE_LENGTH` characters of each secret long enough to be cut
    and not too long to keep (a token: some 300)."""
    return {
        secret[start : start + PIECE_LENGTH]
        for secret in secrets
        if 2 * PIECE_LENGTH <= len(secret) <= MAX_PIECED_LENGTH
        for start in range(len(secret) - PIECE_LENGTH + 1)
    }


def hide_pieces(text: str, pieces: frozenset[str]) -> str:
    """Every piece of a secret (:data:`PIECE_LENGTH` long) in ``text`` hidden."""
    spans: list[list[int]] = []
    for start in range(len(text) - PIECE_LENGTH + 1):
        if text[start : start + PIECE_LENGTH] in pieces:
            end = start + PIECE_LENGTH
            if spans and start <= spans[-1][1]:
                spans[-1][1] = end
            else:
                spans.append([start, end])
    for start, end in reversed(spans):
        text = text[:start] + REDACTED + text[end:]
    return text


def base64_runs(secrets: frozenset[str]) -> re.Pattern[str]:
    """The base64 runs that may hold one of ``secrets``: ``n`` characters decode to ``3n/4``
    bytes, a secret of ``m`` characters is ``m`` bytes or more (a test id's words: none)."""
    least = max(8, -(-4 * min(map(len, secrets)) // 3))  # never under 8: a few bytes match anywhere
    return re.compile(_BASE64.replace("LEAST", str(least)))


def _alone(secret: str) -> str:
    """A pattern for ``secret`` standing alone: no letter, digit or ``_`` right beside it."""
    return f"(?<![{_WORD}]){re.escape(secret)}(?![{_WORD}])"


def how_hidden(secret: str) -> str | None:
    """What happens to ``secret`` in output when it cannot be hidden safely, for a warning;
    ``None`` for a secret hidden wherever it appears."""
    if len(secret) < MIN_SCRUB_LENGTH:
        return (
            f"is shorter than {MIN_SCRUB_LENGTH} characters: it is not hidden in output at "
            "all, as hiding it would blank out ordinary text"
        )
    if len(secret) < SHORT_SECRET:
        return (
            f"is shorter than {SHORT_SECRET} characters: it cannot be reliably hidden in "
            "output, so it is hidden only where it stands alone, not inside other words"
        )
    if is_common_word(secret):
        return (
            "is a common word: it is hidden only where it stands alone, so ordinary text "
            "using that word shows *** in its place, and inside other words it is shown"
        )
    return None


def _hide_across_lines(text: str, secrets: list[str]) -> str:
    """Secrets a line break cut in two (a token printed in two halves, wrapped output):
    each part becomes ``***``, and the line breaks it held stay, so no line is lost.

    The secrets are found in the text with its line breaks taken out, then the text is
    rebuilt a line at a time (not a character at a time: captured output can be large).
    """
    joined = text.replace("\r", "").replace("\n", "")
    spans: list[list[int]] = []
    for secret in secrets:
        start = joined.find(secret)
        while start >= 0:
            spans.append([start, start + len(secret)])
            start = joined.find(secret, start + 1)
    if not spans:
        return text
    merged: list[list[int]] = []
    for start, stop in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], stop)
        else:
            merged.append([start, stop])
    kept: list[str] = []
    position = index = 0  # where this line starts in ``joined``; the next span
    for part in re.split(r"([\r\n]+)", text):
        if not part or part[0] in "\r\n":
            kept.append(part)
            continue
        end = position + len(part)
        cursor = position
        while index < len(merged) and merged[index][0] < end:
            start, stop = merged[index]
            if start > cursor:
                kept.append(part[cursor - position : start - position])
            kept.append(REDACTED)
            cursor = min(stop, end)
            if stop > end:
                break  # the secret goes on past this line
            index += 1
        kept.append(part[cursor - position :])
        position = end
    return "".join(kept)


def _hide_cut_ends(text: str, secrets: list[str]) -> str:
    """A secret's start just before an ellipsis and a secret's end just after one, from
    :data:`CUT_END` characters on: what ``saferepr`` leaves of a secret it cuts."""
    starts = {secret[:CUT_END] for secret in secrets}
    ends = {secret[-CUT_END:] for secret in secrets}
    parts = re.split("(\\.\\.\\.|\u2026)", text)
    for index in range(0, len(parts) - 2, 2):
        before, after = parts[index], parts[index + 2]
        near = before[-_CUT_REACH:]
        cut = [
            len(near) - at
            for at in _found(near, starts)
            if any(secret.startswith(near[at:]) for secret in secrets)
        ]
        if cut:
            parts[index] = before[: len(before) - max(cut)] + REDACTED
        near = after[:_CUT_REACH]
        cut = [
            at + CUT_END
            for at in _found(near, ends)
            if any(secret.endswith(near[: at + CUT_END]) for secret in secrets)
        ]
        if cut:
            parts[index + 2] = REDACTED + after[max(cut) :]
    return "".join(parts)


def _found(text: str, needles: set[str]) -> list[int]:
    """Where each of ``needles`` occurs in ``text``."""
    found = []
    for needle in needles:
        at = text.find(needle)
        while at >= 0:
            found.append(at)
            at = text.find(needle, at + 1)
    return found


#: Words too common to be hidden inside other text: a secret equal to one would blank them.
#:
#: Most-used passwords and the words a test run prints; compared in lower case. Small on
#: purpose, and shipped here: nothing is downloaded.
COMMON_WORDS = frozenset(
    (  # noqa: SIM905 (a dozen words a line, not one)
        "abc123 access account admin administrator apikey application baseball basketball "
        "batman changeme charlie client config connect credential credentials database "
        "default demo developer dragon example failed football freedom function github "
        "google hello iloveyou internal jenkins jira letmein localhost login master monkey "
        "mustang nothing passed passw0rd password password1 passwords private production "
        "qwerty qwertyuiop request response secret secrets service session shadow staging "
        "starwars summer sunshine superman system test tester testing tests token tokens "
        "trustno1 unknown user username welcome whatever winter xray zephyr 12345678 "
        "123456789 1234567890 11111111 00000000 qwerty123 password123 admin123 welcome1 "
        "test1234"
    ).split()
)


def is_common_word(secret: str) -> bool:
    """``secret`` is a word output uses anyway (``password``, ``session``): case ignored."""
    return secret.lower() in COMMON_WORDS
