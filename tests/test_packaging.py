"""The package as a release publishes it: the sdist and the wheel, and what they promise.

- Both carry the MIT ``LICENSE`` that pyproject.toml declares.
- The wheel holds the package alone; the sdist holds the repository's files, so the whole
  test suite runs from it (CONTRIBUTING.md, "The sdist"): from an unpacked sdist the suite
  collects in full and the fast layer passes.
- The project's links point into its repository, and the README's install line says what
  works before a release exists.

Built once per session without network (``python -m build --no-isolation``: build and
setuptools come with the test extra). ``.ci/run`` builds first and names its ``dist/`` in
``CI_DIST_DIR``, so the suite checks the very files CI checks with twine and installs.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import NamedTuple

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest itself needs tomli before Python 3.11
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
REPOSITORY = "https://github.com/pytest-tm-auth/pytest-tm-auth"
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
URL_NAMES = ["Documentation", "Changelog", "Issues", "Source"]
#: Variables of the outer run (xdist workers, coverage of subprocesses), kept out of inner runs.
OUTER_PREFIXES = ("PYTEST_", "COVERAGE_")
#: A developer's credentials in ``.env`` files of the tree, which a release must leave out
#: (joined here, so that this file, which the sdist holds, does not hold the value).
PLANTED = "-".join(["demo", "planted", "token", "not", "real"])


class Dist(NamedTuple):
    sdist: Path
    wheel: Path


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(OUTER_PREFIXES)}
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def clean_copy(destination: Path) -> Path:
    """The repository's files without what .gitignore leaves out: setuptools would otherwise
    put in the sdist every file a stale ``*.egg-info/SOURCES.txt`` lists, whatever
    MANIFEST.in says, and a build writes beside the sources."""
    lines = (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    ignored = [line.rstrip("/") for line in lines if line and not line.startswith("#")]
    shutil.copytree(REPO, destination, ignore=shutil.ignore_patterns(".git", *ignored))
    for folder in (destination, destination / "examples", destination / "tests"):
        (folder / ".env").write_text(f"JIRA_TOKEN={PLANTED}\n", encoding="utf-8")
    return destination


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """The sdist and the wheel: CI's own, or built here from a clean copy of the repository."""
    folder = Path(os.environ.get("CI_DIST_DIR") or tmp_path_factory.mktemp("dist"))
    if not any(folder.iterdir()):
        source = clean_copy(tmp_path_factory.mktemp("source") / "pytest-tm-auth")
        command = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(folder)]
        built = run([*command, str(source)], source)
        assert built.returncode == 0, built.stdout + built.stderr
    (sdist,) = folder.glob("*.tar.gz")
    (wheel,) = folder.glob("*.whl")
    return Dist(sdist, wheel)


def sdist_files(sdist: Path) -> set[str]:
    """The sdist's files, each by its path below the sdist's one top folder."""
    with tarfile.open(sdist) as archive:
        return {m.name.split("/", 1)[1] for m in archive.getmembers() if m.isfile()}


def sdist_text(sdist: Path, name: str) -> str:
    with tarfile.open(sdist) as archive:
        found = [m for m in archive.getmembers() if m.name.split("/", 1)[-1] == name]
        assert len(found) == 1, f"the sdist holds {len(found)} {name}"
        data = archive.extractfile(found[0])
        assert data is not None
        return data.read().decode("utf-8")


def dist_info(wheel: zipfile.ZipFile) -> str:
    (folder,) = {name.split("/")[0] for name in wheel.namelist() if ".dist-info/" in name}
    return folder


def wheel_metadata(wheel_path: Path) -> str:
    with zipfile.ZipFile(wheel_path) as wheel:
        return wheel.read(f"{dist_info(wheel)}/METADATA").decode("utf-8")


# The licence


def test_the_mit_license_is_in_the_sdist_and_the_wheel(dist: Dist) -> None:
    license_text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert license_text.startswith("MIT License\n")
    assert PROJECT["license"] == "MIT"

    assert sdist_text(dist.sdist, "LICENSE") == license_text
    with zipfile.ZipFile(dist.wheel) as wheel:
        assert wheel.read(f"{dist_info(wheel)}/licenses/LICENSE").decode() == license_text
    metadata = wheel_metadata(dist.wheel)
    assert "License-Expression: MIT\n" in metadata
    assert "License-File: LICENSE\n" in metadata


# What each one holds


def test_the_wheel_holds_the_package_alone(dist: Dist) -> None:
    package = {
        path.relative_to(REPO).as_posix()
        for path in (REPO / "pytest_tm_auth").rglob("*")
        if path.suffix == ".py" or path.name == "py.typed"
    }
    with zipfile.ZipFile(dist.wheel) as wheel:
        names = set(wheel.namelist())
        info = dist_info(wheel)

    assert {name.split("/")[0] for name in names} == {"pytest_tm_auth", info}
    assert package <= names, f"the wheel lacks {sorted(package - names)}"


def tracked_files() -> set[str]:
    """The repository's files (also new ones not yet committed), or skip outside a clone."""
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], REPO)
    if listed.returncode != 0:
        pytest.skip("not a git clone (an unpacked sdist, say): no list of files to compare")
    return {name for name in listed.stdout.splitlines() if (REPO / name).is_file()}


def test_the_sdist_holds_every_file_of_the_repository(dist: Dist) -> None:
    expected = tracked_files()
    missing = expected - sdist_files(dist.sdist)
    assert not missing, f"MANIFEST.in leaves out {sorted(missing)}"


def test_the_sdist_holds_no_env_file(dist: Dist) -> None:
    env_files = {name for name in sdist_files(dist.sdist) if re.search(r"(^|/)\.env($|\.)", name)}
    assert not env_files, f"credentials would be published: {sorted(env_files)}"
    with tarfile.open(dist.sdist) as archive:
        for member in archive.getmembers():
            data = archive.extractfile(member) if member.isfile() else None
            assert data is None or PLANTED.encode() not in data.read(), member.name


def fast_layer() -> tuple[str, ...]:
    """``FAST_LAYER`` in noxfile.py, read without importing nox (the dev extra)."""
    for node in ast.parse((REPO / "noxfile.py").read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "FAST_LAYER":
            return tuple(ast.literal_eval(node.value))
    raise AssertionError("noxfile.py defines no FAST_LAYER")


@pytest.fixture(scope="module")
def unpacked(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist unpacked; Python run there imports the package from it, not from the repo."""
    folder = tmp_path_factory.mktemp("sdist")
    with tarfile.open(dist.sdist) as archive:
        if hasattr(tarfile, "data_filter"):  # Python 3.10.12 and later
            archive.extraction_filter = tarfile.data_filter
        archive.extractall(folder)
    (root,) = folder.iterdir()
    where = run([sys.executable, "-c", "import pytest_tm_auth as p; print(p.__file__)"], root)
    assert Path(where.stdout.strip()).is_relative_to(root), where.stdout + where.stderr
    return root


def test_the_whole_suite_collects_from_the_unpacked_sdist(unpacked: Path) -> None:
    collected = run([sys.executable, "-m", "pytest", "--collect-only", "-q"], unpacked)

    assert collected.returncode == 0, collected.stdout[-3000:] + collected.stderr
    modules = {line.split("::")[0] for line in collected.stdout.splitlines() if "::" in line}
    expected = {path.relative_to(REPO).as_posix() for path in REPO.glob("tests/**/test_*.py")}
    assert modules == expected


def test_the_fast_layer_passes_from_the_unpacked_sdist(unpacked: Path) -> None:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *fast_layer()]
    result = run(command, unpacked)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    summary = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"\d+ passed in .*", summary), summary  # none failed, skipped, errored


# Links and the install line


def test_the_project_links_point_into_the_repository(dist: Dist) -> None:
    urls = PROJECT["urls"]
    assert list(urls) == URL_NAMES
    metadata = wheel_metadata(dist.wheel)
    for name, url in urls.items():
        assert url.startswith(REPOSITORY), url
        assert f"Project-URL: {name}, {url}\n" in metadata
        path = re.sub(r"^/(blob|tree)/main/", "", url.removeprefix(REPOSITORY))
        if path != url.removeprefix(REPOSITORY):
            assert (REPO / path).exists(), f"{name} points to {path}, which does not exist"


def test_the_readme_installs_what_exists(dist: Dist) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    install = readme[readme.index("\n## Install\n") :]
    install = install[: install.index("\n## ", 1)]
    released = re.findall(r"^## \[\d", (REPO / "CHANGELOG.md").read_text(encoding="utf-8"), re.M)

    if not released:
        assert "pip install pytest-tm-auth" not in install, "no release is on PyPI yet"
    assert f"git clone {REPOSITORY}.git" in install
    (pattern,) = re.findall(r"pip install (dist/\S+\.whl)", install)
    assert fnmatch.fnmatch(f"dist/{dist.wheel.name}", pattern), (pattern, dist.wheel.name)
