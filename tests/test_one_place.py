"""One place for each rule, held by reading the source.

One boundary for HTTP: only ``http/`` imports requests or urllib3 when the code runs, so
every network failure becomes the same one-line :class:`AuthError` in one place
(``http.session.explained``), and a provider's module cannot catch requests' exceptions its
own way. Imports under ``if TYPE_CHECKING:`` never run and do not count; imports inside
functions do. One date formatter: ``core/token.py``'s ``utc_time``.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pytest_tm_auth"
HTTP_LIBRARIES = {"requests", "urllib3"}
#: Where a moment is turned into text: ``utc_time`` and ``time_left``.
DATE_FORMATTER = PACKAGE / "core" / "token.py"
FORMATTING_DATES = ("strftime", "fromtimestamp", "%Y", "%H:%M", "gmtime", "localtime", "ctime(")


def _run_time_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """``(line, top-level package)`` of each import that runs, skipping TYPE_CHECKING."""
    found: list[tuple[int, str]] = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in {
            "TYPE_CHECKING",
            "typing.TYPE_CHECKING",
        }:
            for other in node.orelse:
                found += _run_time_imports(ast.Module(body=[other], type_ignores=[]))
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.partition(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.partition(".")[0]))
        found += _run_time_imports(node)
    return found


def test_only_http_imports_requests_or_urllib3() -> None:
    outside = [
        f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if "http" not in path.relative_to(PACKAGE).parts[:1]
        for line, name in _run_time_imports(ast.parse(path.read_text(encoding="utf-8")))
        if name in HTTP_LIBRARIES
    ]
    assert outside == []


def test_the_check_sees_imports_inside_functions_and_skips_type_checking() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import requests\n"
        "def login():\n    import urllib3.util\n"
    )
    assert [name for _, name in _run_time_imports(ast.parse(source))] == ["typing", "urllib3"]


def test_one_date_formatter() -> None:
    """Every message shows a moment as ``utc_time`` does; nothing else formats one."""
    elsewhere = [
        f"{path.relative_to(PACKAGE.parent)} uses {word}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != DATE_FORMATTER
        for word in FORMATTING_DATES
        if word in path.read_text(encoding="utf-8")
    ]
    assert elsewhere == []
