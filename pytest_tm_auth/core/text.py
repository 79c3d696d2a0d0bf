"""Text a server wrote, made inert before any message quotes it.

A body, a reason or a header comes from whoever answered: a proxy, a test instance, an
attacker. Printed as it is, an escape sequence could retitle the terminal, clear the screen
or hide the rest of the line, and a long body could drown the message. :func:`inert` keeps
the words and drops everything a terminal would act on.
"""

from __future__ import annotations

import re
import unicodedata

#: How many characters of a server's text a message quotes at most.
QUOTE_LIMIT = 160

# ESC [ ... final byte (CSI), ESC ] ... BEL or ESC \ (OSC), ESC P/X/^/_ ... ST, ESC + one byte;
# and their one-byte C1 forms (U+009B CSI, U+009D OSC, ...). Compiled by ``re`` at the first
# quote, not at import: a login that succeeds quotes nothing.
_ESCAPES = (
    r"(?s)(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|$)"
    r"|\x1b.?"
)
_SPACE = r"\s+"


def inert(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` on one line, without escape sequences or control or format characters
    (each replaced by ``?``), cut to ``limit`` characters with an ellipsis."""
    text = re.sub(_ESCAPES, "?", text[: limit * 8])
    text = re.sub(_SPACE, " ", text)
    kept = "".join("?" if unicodedata.category(ch)[0] == "C" else ch for ch in text).strip()
    return kept if len(kept) <= limit else kept[: limit - 1] + "…"
