"""Every form in which output may show a secret: escaped, encoded, normalised.

A server that echoes a request quotes it JSON-escaped (and a JSON body inside a JSON
string, twice); pytest shows strings as reprs (a backslash doubled); query strings and
form bodies carry it percent-encoded, in upper or lower case, with ``/`` kept or not; an
HTML report escapes ``<``, ``&`` and quotes; ``bytes`` show non-ASCII as ``\\xc3\\xa9``;
and ``base64`` hides it inside ``user:secret`` or any other text.
"""

from __future__ import annotations

import base64
import html
import json
import re
import unicodedata
from urllib.parse import quote, quote_plus

#: Secrets shorter than this get no base64 forms: a few characters of base64 match anywhere.
MIN_ENCODED_LENGTH = 8
#: Longer values (a pasted file) keep only the forms output shows them in most (as is,
#: JSON-escaped, as a repr): each form is a whole copy, and there are dozens of them.
MAX_ALL_FORMS_LENGTH = 1024
_URLSAFE = str.maketrans("+/", "-_")


def forms(value: str) -> set[str]:
    """``value`` as output may show it: as is, escaped (once or twice), or URL-encoded."""
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
    data = value.encode("utf-8")
    if len(data) < MIN_ENCODED_LENGTH:
        return set()
    found: set[str] = set()
    for lead in range(3):
        encoded = base64.b64encode(bytes(lead) + data).decode("ascii")
        core = encoded[(8 * lead + 5) // 6 : 8 * (lead + len(data)) // 6]
        found |= {core, core.translate(_URLSAFE)}
    return found


def _lower_hex(url: str) -> str:
    return re.sub("%[0-9A-F]{2}", lambda escape: escape.group(0).lower(), url)
