"""A string that keeps its value out of reprs, so tracebacks and ``--showlocals`` cannot leak it."""

from __future__ import annotations

REDACTED = "***"


class Secret(str):
    """A credential or token: behaves as its value everywhere except ``repr()``.

    ``str()``, f-strings, comparisons and requests headers see the real value; ``repr()``
    (used by pytest for locals, assertion rewriting and ``-vv`` diffs) shows only ``***``.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"


def mask(value: str) -> str:
    """Show a non-secret identifier shortened, e.g. ``32A2…E8E7``, for headers and tables."""
    if len(value) <= 12:
        return value[:2] + "…" if len(value) > 4 else "…"
    return f"{value[:4]}…{value[-4:]}"
