"""Just enough GraphQL reading for the stand-in: the arguments of one top-level field.

Not a GraphQL parser: it finds ``getTests(...)`` in a query and reads its ``name: value``
arguments (strings, numbers, booleans, ``null`` and ``$variables``), skipping lists and
objects, which the stand-in does not need.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["MISSING", "arguments"]

MISSING = object()  # a ``$variable`` the request did not define

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_VALUE = re.compile(
    rf"(?P<name>[A-Za-z_]\w*)\s*:\s*(?:(?P<string>{_STRING.pattern})|\$(?P<var>[A-Za-z_]\w*)"
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<word>[A-Za-z_]\w*))"
)


def _closing(text: str, opening: int) -> int:
    """The index of the bracket closing the one at ``opening``, skipping strings; -1 if none."""
    depth, index, in_string = 0, opening, False
    while index < len(text):
        char = text[index]
        if in_string:
            if char == "\\":
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return index
        index += 1
    return -1


def _top_level(inside: str) -> str:
    """``inside`` with nested lists and objects blanked out, so their keys are not read."""
    kept, index = [], 0
    while index < len(inside):
        char = inside[index]
        if char in "[{":
            end = _closing(inside, index)
            index = len(inside) if end < 0 else end + 1
            kept.append(" ")
            continue
        if char == '"':
            match = _STRING.match(inside, index)
            step = len(match[0]) if match else len(inside) - index
            kept.append(inside[index : index + step])
            index += step
            continue
        kept.append(char)
        index += 1
    return "".join(kept)


def arguments(query: str, field: str, variables: Mapping[str, Any]) -> dict[str, Any] | None:
    """The arguments given to ``field`` in ``query``; ``None`` if the query does not ask for it.

    A field asked for with no parentheses has no arguments (``{}``); a ``$variable`` missing
    from ``variables`` reads as :data:`MISSING`.
    """
    found = re.search(rf"\b{re.escape(field)}\b\s*(\(?)", query)
    if found is None:
        return None
    if not found[1]:
        return {}
    end = _closing(query, found.end() - 1)
    inside = query[found.end() : end if end >= 0 else len(query)]
    given: dict[str, Any] = {}
    for match in _VALUE.finditer(_top_level(inside)):
        if match["string"] is not None:
            try:
                given[match["name"]] = json.loads(match["string"])
            except ValueError:
                given[match["name"]] = match["string"][1:-1]
        elif match["var"] is not None:
            given[match["name"]] = variables.get(match["var"], MISSING)
        elif match["number"] is not None:
            text = match["number"]
            given[match["name"]] = int(text) if text.lstrip("-").isdigit() else float(text)
        else:
            word = match["word"]
            given[match["name"]] = {"true": True, "false": False, "null": None}.get(word, word)
    return given
