"""Reading a service's answers as the untrusted input they are: JSON that may be garbage,
fields that may be missing or of another type. Pure: no request is made here.
"""

from __future__ import annotations

import json
from typing import Any

from pytest_tm_auth.core.text import inert


def parsed(body: str) -> object:
    """The answer's JSON, or ``None``: garbage, or nested deeper than Python parses."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None


def quoted(body: str) -> str:
    """A few words of an answer that is not what it should be, inert."""
    return inert(body, 80) or "an empty body"


def found_at(data: object, *names: str) -> Any:
    """``data[names[0]][names[1]]...`` in an answer, or ``None`` where it has no such field."""
    for name in names:
        if not isinstance(data, dict):
            return None
        data = data.get(name)
    return data


def as_list(value: object) -> list[Any]:
    """``value`` if an answer's field is a list, else an empty one."""
    return value if isinstance(value, list) else []
