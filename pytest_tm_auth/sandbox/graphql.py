"""Just enough GraphQL reading for the stand-in: the arguments of one field, by its name.

Not a GraphQL parser: it finds ``getTests(...)`` (or ``testRuns(...)`` inside a selection) in
a query and reads its ``name: value`` arguments: strings, numbers, booleans, ``null``, enum
words, lists, objects, and ``$variables`` anywhere among them. Text it cannot read raises
:class:`GraphQLSyntax`, answered as GraphQL answers a syntax error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["MISSING", "GraphQLSyntax", "arguments"]

MISSING = object()  # a ``$variable`` the request did not define

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_]\w*")
_WORDS: dict[str, Any] = {"true": True, "false": False, "null": None}


class GraphQLSyntax(ValueError):
    """Arguments the stand-in cannot read; the message is safe to send back."""


class _Reader:
    """Reads GraphQL values from ``text`` at ``index``, replacing variables as it goes."""

    def __init__(self, text: str, index: int, variables: Mapping[str, Any]) -> None:
        self.text, self.index, self.variables = text, index, variables

    def _skip(self) -> str:
        """The next significant character (``""`` at the end), past blanks, commas, comments."""
        while self.index < len(self.text):
            char = self.text[self.index]
            if char == "#":
                end = self.text.find("\n", self.index)
                self.index = len(self.text) if end < 0 else end
            elif char.isspace() or char == ",":
                self.index += 1
            else:
                return char
        return ""

    def _take(self, pattern: re.Pattern[str], what: str) -> str:
        match = pattern.match(self.text, self.index)
        if match is None:
            near = self.text[self.index : self.index + 20]
            raise GraphQLSyntax(f"Syntax Error: Expected {what}, found {near!r}.")
        self.index = match.end()
        return match[0]

    def pairs(self, closing: str) -> dict[str, Any]:
        """``name: value`` pairs up to ``closing`` (the opening bracket already read)."""
        given: dict[str, Any] = {}
        while self._skip() != closing:
            if not self._skip():
                raise GraphQLSyntax(f"Syntax Error: Expected {closing!r}, found <EOF>.")
            name = self._take(_NAME, "Name")
            if self._skip() != ":":
                raise GraphQLSyntax(f'Syntax Error: Expected ":" after {name!r}.')
            self.index += 1
            given[name] = self.value()
        self.index += 1
        return given

    def value(self) -> Any:
        char = self._skip()
        if char == '"':
            text = self._take(_STRING, "String")
            return json.loads(text)
        if char == "$":
            self.index += 1
            return self.variables.get(self._take(_NAME, "Name"), MISSING)
        if char == "[":
            self.index += 1
            items = []
            while self._skip() != "]":
                if not self._skip():
                    raise GraphQLSyntax("Syntax Error: Expected ']', found <EOF>.")
                items.append(self.value())
            self.index += 1
            return items
        if char == "{":
            self.index += 1
            return self.pairs("}")
        if char == "-" or char.isdigit():
            number = self._take(_NUMBER, "a value")
            return int(number) if number.lstrip("-").isdigit() else float(number)
        word = self._take(_NAME, "a value")
        return _WORDS.get(word, word)


def arguments(query: str, field: str, variables: Mapping[str, Any]) -> dict[str, Any] | None:
    """The arguments given to ``field`` in ``query``; ``None`` if the query does not ask for it.

    A field asked for with no parentheses has no arguments (``{}``); a ``$variable`` missing
    from ``variables`` reads as :data:`MISSING`, wherever it stands.
    """
    found = re.search(rf"\b{re.escape(field)}\b\s*(\(?)", query)
    if found is None:
        return None
    if not found[1]:
        return {}
    try:
        return _Reader(query, found.end(), variables).pairs(")")
    except ValueError as bad:  # json.loads' errors too
        raise GraphQLSyntax(str(bad)) from None
