"""A payload a team's ``pytest_tm_auth_results`` hook may have changed, scrubbed again
before it is sent: every string and every key, whatever the service's shape, except the
base64 ``data`` of the files it carries (scrubbed as text when they were attached).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pytest_tm_auth.results.model import PublishError

#: Deeper than any payload a service takes: a hook's runaway structure is refused.
DEPTH_LIMIT = 32


def remembered(scrub: Callable[[str], str]) -> Callable[[str], str]:
    """``scrub``, once per distinct text: a payload repeats its keys and status names."""
    seen: dict[str, str] = {}

    def scrubbed(text: str) -> str:
        found = seen.get(text)
        if found is None:
            found = seen[text] = scrub(text)
        return found

    return scrubbed


def scrubbed(value: Any, scrub: Callable[[str], str], files: tuple[str, str]) -> Any:
    """``value`` with every string scrubbed; ``files``: the path (``("tests", "evidence")``)
    of the lists of files whose ``data`` is left as it is."""
    return _scrubbed(value, scrub, 0, (), files)


def _scrubbed(
    value: Any,
    scrub: Callable[[str], str],
    depth: int,
    where: tuple[str, ...],
    files: tuple[str, str],
) -> Any:
    """``where``: the path's shape so far, while it can still lead to ``files``."""
    if depth > DEPTH_LIMIT:
        raise PublishError(f"the payload nests deeper than {DEPTH_LIMIT} levels")
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrubbed(item, scrub, depth + 1, where, files) for item in value]
    if isinstance(value, dict):
        kept = where == files  # a file's fields: its ``data`` stays as it is
        return {
            scrub(name if type(name) is str else str(name)): (
                item if kept and name == "data" else scrub(item)
            )
            if type(item) is str  # most values: scrubbed here, not one call deeper
            else _scrubbed(item, scrub, depth + 1, _inner(where, str(name), files), files)
            for name, item in value.items()
        }
    if value is None or isinstance(value, (bool, int, float)):
        return value
    raise PublishError(f"the payload holds a {type(value).__name__}, which JSON cannot carry")


def _inner(where: tuple[str, ...], name: str, files: tuple[str, str]) -> tuple[str, ...]:
    """The path one key further while it follows ``files``; anywhere else a dead end."""
    longer = (*where, name)
    return longer if files[: len(longer)] == longer else ("-",)
