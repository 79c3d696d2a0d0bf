"""The extras say who needs what: ``test`` what the tests import, ``dev`` the tools around them.

``pip install -e '.[test]'`` (the README's second command, nox's sessions) must be enough to
run the suite, and must not pull in linters; ``.ci/run`` installs ``.[test,dev]``.
"""

from __future__ import annotations

import ast
import sys
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest itself needs tomli before Python 3.11
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
EXTRAS: dict[str, list[str]] = PROJECT["optional-dependencies"]
#: What runs under the tests: the suite, the examples and recipes, the docs' and benchmarks'
#: scripts (noxfile.py is read, never imported, by the tests).
TESTED = ["tests", "examples", "docs", "benchmarks", "conftest.py"]
DEV_TOOLS = {"coverage", "nox", "ruff", "mypy", "types-requests", "twine"}


def names(lines: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(line).name) for line in lines}


def installed_closure(lines: list[str]) -> set[str]:
    """The distributions these requirements install, theirs included (markers evaluated)."""
    found: set[str] = set()
    pending = [(Requirement(line), "") for line in lines]
    while pending:
        requirement, extra = pending.pop()
        marker = requirement.marker
        if marker is not None and not marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        if name in found:
            continue
        found.add(name)
        try:
            needs = requires(name) or []
        except PackageNotFoundError:
            continue  # not for this Python (a marker the environment fails)
        for chosen in ["", *requirement.extras]:
            pending.extend((Requirement(line), chosen) for line in needs)
    return found


def imported_top_level_modules() -> set[str]:
    modules: set[str] = set()
    for entry in TESTED:
        paths = [REPO / entry] if entry.endswith(".py") else (REPO / entry).rglob("*.py")
        for path in paths:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    modules.add(node.module.split(".")[0])
    return modules


def test_the_test_extra_installs_every_distribution_the_tests_import() -> None:
    available = installed_closure([*PROJECT["dependencies"], *EXTRAS["test"]])
    owners = packages_distributions()
    missing = {
        module: owners[module]
        for module in imported_top_level_modules()
        if module in owners and module != "pytest_tm_auth"
        if not {canonicalize_name(owner) for owner in owners[module]} & available
    }
    assert not missing, f"the tests import these, which the test extra does not install: {missing}"


def test_linters_and_release_tools_are_in_the_dev_extra_alone() -> None:
    assert names(EXTRAS["dev"]) >= DEV_TOOLS
    assert not names(EXTRAS["test"]) & DEV_TOOLS
