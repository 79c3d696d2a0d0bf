"""The markers that link a test to a service's test keys, checked where tests are collected.

``@pytest.mark.xray("DEMO-123", ..., defects=["DEMO-9"])`` (or one list of keys: the form
pytest-jira-xray's users have) links Xray Test issues; ``@pytest.mark.zephyr("DEMO-T12",
...)`` links Zephyr Scale test cases. Only the markers of the services whose publishing is
on are read: a malformed one is then a collection error naming the test and the key
(:class:`LinkError`), whose first line :func:`is_link_error` knows again under xdist.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

import pytest

from pytest_tm_auth.results.model import JIRA_KEY, ZEPHYR_KEY

#: What every malformed link's message says, after the test's node id.
LINK_ERRORS = ("@pytest.mark.xray", "@pytest.mark.zephyr")


class LinkError(ValueError):
    """A malformed link marker; the message names the test and the key."""


#: The link markers of each collector and of every node above it, by marker name, by the
#: collector's ``id`` (the collector kept beside them, so that its ``id`` is not reused).
Inherited = dict[int, tuple[pytest.Collector, dict[str, list[pytest.Mark]]]]


def links_of(
    item: pytest.Item, services: Collection[str], inherited: Inherited | None = None
) -> dict[str, list[str]] | None:
    """The keys the item's markers (class and module ones too) link, by service, with the
    Xray defects under ``defects``; ``None`` when it links none of ``services``.
    ``inherited``: what the collectors' markers were found to be, shared by their items
    (read once per module or class, not walked up from each test).

    Raises :class:`LinkError` for an empty marker, a key that is not a string or not a key
    of its service, or an argument the marker does not take.
    """
    links: dict[str, list[str]] = {}
    if "xray" in services:
        found = _xray(item, _marks(item, "xray", inherited))
        if found is not None:
            links["xray"], links["defects"] = found
    if "zephyr" in services:
        marks = _marks(item, "zephyr", inherited)
        keys = [key for mark in marks for key in _zephyr(item, mark)]
        if keys:
            links["zephyr"] = list(dict.fromkeys(keys))
    return links or None


def _marks(item: pytest.Item, name: str, inherited: Inherited | None) -> list[pytest.Mark]:
    """``item.iter_markers(name)``, in its order, with the parent's part read once."""
    marks = [mark for mark in item.own_markers if mark.name == name]
    parent = item.parent
    if parent is None:
        return marks
    known = None if inherited is None else inherited.get(id(parent))
    if known is None:
        known = (parent, {})
        if inherited is not None:
            inherited[id(parent)] = known
    above = known[1].get(name)
    if above is None:
        above = known[1][name] = list(parent.iter_markers(name))
    return marks + above


def _xray(item: pytest.Item, marks: list[pytest.Mark]) -> tuple[list[str], list[str]] | None:
    keys: list[str] = []
    defects: list[str] = []
    for mark in marks:
        arguments: Sequence[object] = mark.args
        if len(arguments) == 1 and isinstance(arguments[0], (list, tuple)):
            arguments = arguments[0]  # pytest-jira-xray's list form
        if not arguments:
            raise LinkError(f"{item.nodeid}: @pytest.mark.xray names no test key")
        keys += [_key(item, key, "key") for key in arguments]
        if mark.kwargs:
            defects += _defects(item, mark)
    if not keys:
        return None
    return list(dict.fromkeys(keys)) if len(keys) > 1 else keys, list(dict.fromkeys(defects))


def _defects(item: pytest.Item, mark: pytest.Mark) -> list[str]:
    unknown = sorted(set(mark.kwargs) - {"defects"})
    if unknown:
        raise LinkError(f"{item.nodeid}: @pytest.mark.xray takes no {unknown[0]}=")
    named = mark.kwargs.get("defects", ())
    if isinstance(named, str) or not isinstance(named, (list, tuple)):
        raise LinkError(f"{item.nodeid}: @pytest.mark.xray defects= must be a list of keys")
    return [_key(item, key, "defect") for key in named]


def _key(item: pytest.Item, key: object, what: str) -> str:
    if not isinstance(key, str) or not JIRA_KEY.fullmatch(key):
        raise LinkError(
            f"{item.nodeid}: @pytest.mark.xray {what} {key!r} is not a Jira issue key "
            "(like DEMO-123)"
        )
    return key


def _zephyr(item: pytest.Item, mark: pytest.Mark) -> list[str]:
    arguments: Iterable[object] = mark.args
    if len(mark.args) == 1 and isinstance(mark.args[0], (list, tuple)):
        arguments = mark.args[0]
    keys = list(arguments)
    if not keys:
        raise LinkError(f"{item.nodeid}: @pytest.mark.zephyr names no test case key")
    if mark.kwargs:
        raise LinkError(f"{item.nodeid}: @pytest.mark.zephyr takes no {sorted(mark.kwargs)[0]}=")
    for key in keys:
        if not isinstance(key, str) or not ZEPHYR_KEY.fullmatch(key):
            raise LinkError(
                f"{item.nodeid}: @pytest.mark.zephyr key {key!r} is not a Zephyr Scale test "
                "case key (like DEMO-T12)"
            )
    return [str(key) for key in keys]


def is_link_error(report: pytest.CollectReport) -> bool:
    """The collection error is a :class:`LinkError`'s own message (``NODEID: @pytest.mark.xray
    ...``), not any error whose traceback shows a marker's source line."""
    first = str(report.longrepr).strip().partition("\n")[0]
    if not first.startswith(f"{report.nodeid}::"):
        return False
    return any(f": {marker} " in first for marker in LINK_ERRORS)
