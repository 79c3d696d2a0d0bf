"""The support matrix is one list: what pyproject.toml claims is what CI tests."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest itself needs tomli before Python 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def matrix_pythons() -> tuple[str, ...]:
    """``PYTHONS`` in noxfile.py, read without importing nox."""
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PYTHONS":
            value = ast.literal_eval(node.value)
            assert isinstance(value, tuple)
            return tuple(str(python) for python in value)
    raise AssertionError("noxfile.py defines no PYTHONS")


def pyproject_text() -> str:
    return (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def declared_requirements() -> list[Requirement]:
    """The runtime dependencies and the keyring extra, as pyproject.toml declares them."""
    project = tomllib.loads(pyproject_text())["project"]
    lines = [*project["dependencies"], *project["optional-dependencies"]["keyring"]]
    return [Requirement(line) for line in lines]


def test_the_classifiers_list_exactly_the_pythons_the_matrix_tests() -> None:
    claimed = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', pyproject_text())
    assert tuple(claimed) == matrix_pythons()
    assert f'requires-python = ">={matrix_pythons()[0]}"' in pyproject_text()


def test_ci_runs_the_tests_on_the_newest_python_of_the_matrix() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f"\nNEWEST={matrix_pythons()[-1]}\n" in ci


def test_the_lowest_session_pins_every_declared_lower_bound() -> None:
    pins = {}
    for line in (ROOT / ".ci" / "lowest.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[name.strip().lower()] = Version(version)
    lower_bounds = {}
    for requirement in declared_requirements():
        (bound,) = [spec for spec in requirement.specifier if spec.operator == ">="]
        lower_bounds[requirement.name.lower()] = Version(bound.version)
    assert pins == lower_bounds
