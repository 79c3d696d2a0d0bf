"""Hide known secrets inside the objects pytest and reporters read text from, in place.

Reports, exceptions and pytest's ``repr`` objects (a failure's traceback, a crash line,
an INTERNALERROR) are scrubbed where they are made, so that every reader after that point
(the terminal, junit, xdist's channel, reporters such as allure-pytest, pytest-json-report,
pytest-csv, pytest-html and pytest-reportlog) sees the same hidden text.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from pytest_tm_auth.core.scrub import Scrubber

Scrub = Callable[[str], str]

#: How deep :func:`scrub_inside` follows attributes: pytest's repr objects nest a few levels.
MAX_DEPTH = 8


def scrub_exception(exc: BaseException | None, scrub: Scrub) -> None:
    """``exc``, its causes and contexts with their text scrubbed: ``args``, a pytest outcome's
    ``msg``, notes. Reporters format the exception themselves (``call.excinfo.exconly()``)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        args = tuple(scrub(arg) if isinstance(arg, str) else arg for arg in exc.args)
        if args != exc.args:
            exc.args = args
        message = getattr(exc, "msg", None)
        if isinstance(message, str) and scrub(message) != message:
            exc.msg = scrub(message)  # type: ignore[attr-defined]
        notes = getattr(exc, "__notes__", None)
        if isinstance(notes, list):
            notes[:] = [scrub(note) if isinstance(note, str) else note for note in notes]
        exc = exc.__cause__ or exc.__context__


def scrub_inside(obj: Any, scrub: Scrub, depth: int = 0) -> Any:
    """``obj`` with every string inside it scrubbed: strings, lists and tuples, dicts, and
    the fields of dataclasses (pytest's repr objects) and attribute objects (allure's model).
    Containers and objects are changed in place; a new value is returned for the immutable."""
    if isinstance(obj, str):
        return scrub(obj)
    if depth > MAX_DEPTH or obj is None or isinstance(obj, (bool, int, float, bytes)):
        return obj
    if isinstance(obj, list):
        obj[:] = [scrub_inside(item, scrub, depth + 1) for item in obj]
        return obj
    if isinstance(obj, tuple):
        items = tuple(scrub_inside(item, scrub, depth + 1) for item in obj)
        return type(obj)(*items) if hasattr(obj, "_fields") else items
    if isinstance(obj, dict):
        for key, value in list(obj.items()):
            obj[key] = scrub_inside(value, scrub, depth + 1)
        return obj
    fields = _fields_of(obj)
    for name in fields:
        value = getattr(obj, name, None)
        scrubbed = scrub_inside(value, scrub, depth + 1)
        if scrubbed is not value:
            _set(obj, name, scrubbed)
    return obj


def _fields_of(obj: Any) -> list[str]:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return [field.name for field in dataclasses.fields(obj)]
    attributes = getattr(obj, "__dict__", None)
    return list(attributes) if isinstance(attributes, dict) else []


def _set(obj: Any, name: str, value: Any) -> None:
    try:
        setattr(obj, name, value)
    except (AttributeError, TypeError, dataclasses.FrozenInstanceError):
        object.__setattr__(obj, name, value)


def scrub_report(report: pytest.TestReport | pytest.CollectReport, scrubber: Scrubber) -> None:
    """Every text of a test or collect report: the failure, captured output, properties,
    the xfail reason. A failure is also searched for cut-off pieces of long secrets, as
    pytest shortens long values in it (``'eyJhbGci...Vw4'``)."""
    scrub = scrubber.scrub

    def scrub_failure(text: str) -> str:
        return scrubber.scrub(text, pieces=True)

    longrepr = report.longrepr
    if isinstance(longrepr, tuple):  # a skip: (path, line, reason)
        path, line, reason = longrepr
        report.longrepr = (path, line, scrub(reason))
    elif isinstance(longrepr, str):
        report.longrepr = scrub_failure(longrepr)
    elif longrepr is not None:
        scrub_inside(longrepr, scrub_failure)
        text = str(longrepr)
        if scrub_failure(text) != text:  # a secret no field held whole: keep the text only
            report.longrepr = scrub_failure(text)
    report.sections = [(title, scrub(content)) for title, content in report.sections]
    if isinstance(getattr(report, "wasxfail", None), str):  # the xfail reason
        report.wasxfail = scrub(report.wasxfail)  # type: ignore[union-attr]
    if isinstance(report, pytest.TestReport) and report.user_properties:
        report.user_properties = [  # record_property: --junitxml writes str(value)
            (name, _scrubbed_value(value, scrub)) for name, value in report.user_properties
        ]
    context = report.__dict__.get("context")
    if context is not None:
        scrub_subtest_context(context, scrub_failure)


def scrub_subtest_context(context: object, scrub: Scrub) -> None:
    """A subtest's ``msg`` and keyword arguments (``subtests.test(msg, **kwargs)``), which
    the terminal, xdist and pytest-reportlog show as the subtest's name, in place.

    pytest 9 keeps each argument as its ``saferepr``, which may cut a long secret: ``scrub``
    is the failure's, which hides pieces too. pytest-subtests keeps the values themselves
    and shows their repr: a value whose repr holds a secret becomes that repr, scrubbed.
    """
    message = getattr(context, "msg", None)
    if isinstance(message, str) and (hidden := scrub(message)) != message:
        _set(context, "msg", hidden)
    kwargs = getattr(context, "kwargs", None)
    if not isinstance(kwargs, dict):
        return
    for name, value in list(kwargs.items()):
        text = value if isinstance(value, str) else _repr_or_none(value)
        if text is not None and (hidden := scrub(text)) != text:
            kwargs[name] = hidden


def _repr_or_none(value: object) -> str | None:
    try:
        return repr(value)
    except Exception:  # a broken __repr__: the subtest's own report shows pytest's note
        return None


def _scrubbed_value(value: object, scrub: Scrub) -> object:
    text = str(value)
    scrubbed = scrub(text)
    return value if scrubbed == text else scrubbed
