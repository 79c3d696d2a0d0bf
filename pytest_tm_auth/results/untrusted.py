"""What publishing did not make itself, never trusted: a service's answers, and a payload a
team's ``pytest_tm_auth_results`` hook may have changed. Pure: no request is made here.

An answer is read as the untrusted input it is: JSON that may be garbage, fields that may
be missing or of another type. A payload is scrubbed again before it is sent: every string
and every key, whatever the service's shape, except the base64 ``data`` of the files it
carries (scrubbed as text when they were attached).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pytest_tm_auth.core.errors import inert
from pytest_tm_auth.results.model import PublishError

#: Deeper than any payload a service takes: a hook's runaway structure is refused.
DEPTH_LIMIT = 32


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


def scrubbed(value: Any, scrub: Callable[[str], str], files: tuple[str, str]) -> Any:
    """``value`` with every string scrubbed; ``files``: the path (``("tests", "evidence")``)
    of the lists of files whose ``data`` is left as it is.

    Each distinct text is scrubbed once: a payload repeats its keys, status names and
    times thousands of times."""
    return _Walk(scrub, files).scrubbed(value, 0, ())


class _Walk:
    """One payload's walk: what each text became, looked up before ``scrub`` is called."""

    __slots__ = ("_files", "_scrub", "_seen")

    def __init__(self, scrub: Callable[[str], str], files: tuple[str, str]) -> None:
        self._scrub = scrub
        self._files = files
        self._seen: dict[str, str] = {}

    def text(self, text: str) -> str:
        found = self._seen.get(text)
        if found is None:
            found = self._seen[text] = self._scrub(text)
        return found

    def scrubbed(self, value: Any, depth: int, where: tuple[str, ...]) -> Any:
        """``where``: the path's shape so far, while it can still lead to ``files``."""
        if depth > DEPTH_LIMIT:
            raise PublishError(f"the payload nests deeper than {DEPTH_LIMIT} levels")
        if type(value) is str:
            return self.text(value)
        if isinstance(value, list):
            return [self.scrubbed(item, depth + 1, where) for item in value]
        if isinstance(value, dict):
            return self._fields(value, depth, where)
        if isinstance(value, str):  # a str subclass a hook put there (a str Enum): its text
            return self.text(str.__str__(value))
        if value is None or isinstance(value, (bool, int, float)):
            return value
        raise PublishError(f"the payload holds a {type(value).__name__}, which JSON cannot carry")

    def _fields(self, value: dict[Any, Any], depth: int, where: tuple[str, ...]) -> dict[str, Any]:
        seen, text = self._seen, self.text
        kept = where == self._files  # a file's fields: its ``data`` stays as it is
        fields: dict[str, Any] = {}
        for given, item in value.items():
            name = given if type(given) is str else str(given)
            clean = seen.get(name) or text(name)
            if type(item) is str:  # most values: scrubbed here, not one call deeper
                fields[clean] = item if kept and name == "data" else seen.get(item) or text(item)
            elif type(item) is list and not item and depth < DEPTH_LIMIT:  # no parameters
                fields[clean] = []
            else:
                inner = _inner(where, name, self._files)
                fields[clean] = self.scrubbed(item, depth + 1, inner)
        return fields


def _inner(where: tuple[str, ...], name: str, files: tuple[str, str]) -> tuple[str, ...]:
    """The path one key further while it follows ``files``; anywhere else a dead end."""
    longer = (*where, name)
    return longer if files[: len(longer)] == longer else ("-",)
