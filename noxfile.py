"""The support matrix: the suite on the oldest and the newest supported combinations.

``.ci/run`` runs every session here; on a laptop, ``nox`` (or ``nox -s lowest``) does too.

- ``lowest``: the oldest Python with the lowest declared versions of every runtime
  dependency (``.ci/lowest.txt``): the suite, where pytest 7's API differs, but for the
  checks that no dependency's version changes (:data:`SAME_ON_EVERY_VERSION`) and the
  ``scale`` tests (smaller tests take their path), with a quarter of the hostile server's
  generated answers.
- ``fast``: the fast layer on the other supported Pythons, with the newest releases. The
  whole suite on the newest Python with the newest releases is ``.ci/run``'s own coverage
  run (its ``.venv`` is made from the newest Python).

A Python the matrix names but the machine lacks is an error, never a skipped session.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

#: Every Python the project supports and tests; the classifiers in pyproject.toml list these.
PYTHONS = ("3.10", "3.11", "3.12", "3.13")
OLDEST, NEWEST = PYTHONS[0], PYTHONS[-1]
#: pytest 9 has a ``subtests`` fixture of its own; the lowest session's pytest 7 gets it from
#: this plugin, for the leak matrix. Never beside pytest 9, whose fixture replaces it.
SUBTESTS_BEFORE_PYTEST_9 = "pytest-subtests==0.14.2"
#: The fast layer: the core's unit tests and the checks of pytest's private parts.
FAST_LAYER = ("tests/unit", "tests/test_compat.py", "tests/test_structure.py")
#: What the lowest session leaves to the newest: building the sdist, the wheel and the
#: benchmark's venvs, and reading the sources, changelog and matrix.
SAME_ON_EVERY_VERSION = (
    "tests/test_packaging.py",
    "tests/test_benchmark_smoke.py",
    "tests/test_structure.py",
    "tests/test_changelog.py",
    "tests/test_support_matrix.py",
)
#: Answers the hostile server's property test generates in the lowest session (200 elsewhere).
LOWEST_HOSTILE_EXAMPLES = "50"

nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["lowest", "fast"]
nox.options.default_venv_backend = "venv"


def pyenv_bin_directories() -> list[str]:
    """The ``bin`` directories of pyenv's Pythons, so ``python3.10`` is found on PATH even
    where pyenv's shims answer only for the global version."""
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv") / "versions"
    return [str(path / "bin") for path in sorted(root.glob("3.*")) if (path / "bin").is_dir()]


os.environ["PATH"] = os.pathsep.join([*pyenv_bin_directories(), os.environ.get("PATH", "")])


@nox.session(python=OLDEST)
def lowest(session: nox.Session) -> None:
    """The suite on the oldest Python with the lowest declared dependencies."""
    session.install("-c", ".ci/lowest.txt", "-e", ".[test]", SUBTESTS_BEFORE_PYTEST_9)
    session.run("python", ".ci/pins_installed.py", ".ci/lowest.txt")
    ignored = [f"--ignore={path}" for path in SAME_ON_EVERY_VERSION]
    session.run(
        "python",
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "-n",
        "2",  # its own process is the bottleneck (pytest 7's in-process runs): two share it
        "-m",
        "not scale",
        *ignored,
        *session.posargs,
        env={"HOSTILE_SERVER_EXAMPLES": LOWEST_HOSTILE_EXAMPLES},
    )


@nox.session(python=[python for python in PYTHONS if python not in (OLDEST, NEWEST)])
def fast(session: nox.Session) -> None:
    """The fast layer on the Pythons between, with the newest releases."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", "-p", "no:cacheprovider", "-q", *FAST_LAYER)
