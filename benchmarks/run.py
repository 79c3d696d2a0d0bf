"""What pytest-tm-auth costs: nothing when installed but unused, one login when used.

Builds the wheel of this checkout and installs it with pip into lean virtual environments
(pytest, pytest-xdist and the plugin; the same with the popular reporters; the same without
the plugin); every other package is copied from this interpreter's installed files, so
nothing is fetched and every version is this interpreter's. Starts the stand-in on
loopback, writes generated test suites into a temporary directory, runs pytest on them in
subprocesses with the stand-in's settings, interleaving the variants it compares (each round
runs each once, in shuffled order), and prints one table of medians, ratios, counts and
goals::

    python benchmarks/run.py --instructions   # the goals counted in instructions (valgrind)
    python benchmarks/run.py                  # wall times only
    python benchmarks/run.py --quick          # every row, tiny suites, one run each

Each pytest subprocess starts a fresh interpreter, so wall times include start-up, as a
user's run does, and loads the plugin as after ``pip install``: marked for pytest's assertion
rewriting hook (the first row checks it). See ``benchmarks/README.md`` for what each row
means and the latest figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import email
import importlib.metadata
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement

from pytest_tm_auth.sandbox import Sandbox

#: Variables a developer's shell may hold that would change what the runs measure.
OWN_PREFIXES = ("XRAY_", "ZEPHYR_", "JIRA_", "TM_AUTH_", "TESTRAIL_")
FOREIGN = (
    "PYTEST_ADDOPTS",
    "PYTEST_PLUGINS",
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NETRC",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONPYCACHEPREFIX",
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "VIRTUAL_ENV",
)
#: Modules that an unused plugin must not import (top-level packages and own modules).
HEAVY_PACKAGES = ("requests", "urllib3", "keyring", "dotenv")
HEAVY_OWN = ("pytest_tm_auth.sandbox", "pytest_tm_auth.http")
#: Each Cloud provider's login: Xray's token exchange, one authenticated check for the others.
LOGIN_ROUTES = ("xray.authenticate", "zephyr.projects", "jira.myself")
#: Installed and unused, or xray_session against a hand-written session fixture built on
#: plain requests: at most this ratio to a run without the plugin.
STARTUP_GOAL = 1.03
#: The stand-in's settings configure the three built-in providers: Xray, Zephyr Scale, Jira.
CONFIGURED = 3
NO_PLUGIN = ("-p", "no:tm_auth")
#: Every run: pytest's defaults, but quiet and without the hypothesis plugin (a test extra
#: of this project that imports hypothesis at the end of every run: ~0.1 s that would dilute
#: every ratio, and that users of this plugin do not necessarily have).
COMMON_ARGS = ("-q", "-p", "no:hypothesispytest")
#: ``-X importtime`` writes to stderr, which pytest captures while tests run: imports made
#: inside a test or fixture would be missing from the report without ``-s``.
IMPORTTIME = ("-X", "importtime")
IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+\d+ \| +(\S+)\s*$")
PASSED = re.compile(r"(\d+) passed")


@dataclass(frozen=True)
class Plan:
    """How big the suites are and how often each variant runs."""

    trivial: int = 500
    requesting: int = 200
    #: Tests linked to Xray Tests, for the publishing rows.
    linked: int = 5000
    #: The unused-plugin comparison has a goal and a small effect (a few percent): more runs.
    startup_rounds: int = 21
    rounds: int = 5
    importtime_rounds: int = 3
    workers: int = 4
    warm_up: bool = True


QUICK = Plan(
    trivial=20,
    requesting=20,
    linked=20,
    startup_rounds=1,
    rounds=1,
    importtime_rounds=0,
    workers=2,
    warm_up=False,
)


# The generated suites --------------------------------------------------------------------

NAIVE_CONFTEST = '''\
"""What a suite without the plugin does today: log in per test with plain requests."""

import os

import pytest
import requests

BASE = os.environ["BENCH_ZEPHYR_URL"]
TOKEN = os.environ["BENCH_ZEPHYR_TOKEN"]


class ZephyrSession(requests.Session):
    def request(self, method, url, *args, **kwargs):
        return super().request(method, BASE + url, *args, **kwargs)


@pytest.fixture
def zephyr_session():
    session = ZephyrSession()
    session.headers["Authorization"] = "Bearer " + TOKEN
    session.get("projects", params={"maxResults": "1"}).raise_for_status()  # log in
    yield session
    session.close()
'''

PLAIN_FIXTURE_CONFTEST = '''\
"""A session fixture that does nothing: what pytest itself charges for a fixture."""

import pytest


@pytest.fixture(scope="session")
def plain_session():
    return object()
'''


HAND_WRITTEN_CONFTEST = '''\
"""The limit of using requests: a hand-written session fixture, one login per run."""

import os

import pytest
import requests

BASE = os.environ["XRAY_URL"].rstrip("/") + "/api/v2/"


class XraySession(requests.Session):
    def request(self, method, url, *args, **kwargs):
        return super().request(method, BASE + url, *args, **kwargs)


@pytest.fixture(scope="session")
def xray_session():
    credentials = {
        "client_id": os.environ["XRAY_CLIENT_ID"],
        "client_secret": os.environ["XRAY_CLIENT_SECRET"],
    }
    answer = requests.post(BASE + "authenticate", json=credentials, timeout=30)
    answer.raise_for_status()
    session = XraySession()
    session.headers["Authorization"] = "Bearer " + answer.json()  # the answer: the token
    yield session
    session.close()
'''

#: The plugin's variant gets a conftest too, so both runs find and import one.
PLUGIN_CONFTEST = '"""No fixture here: xray_session comes from pytest-tm-auth."""\n'


def suite_of(count: int, fixture: str = "", body: str = "pass") -> str:
    """A module of ``count`` tests, each asking for ``fixture`` (if any) and running ``body``."""
    return "".join(f"def test_{number}({fixture}):\n    {body}\n\n\n" for number in range(count))


def write_suite(root: Path, name: str, tests: str, conftest: str = "", dotenv: str = "") -> Path:
    """A directory with its own ``pytest.ini`` (so it is the rootdir) and the given files."""
    suite = root / name
    suite.mkdir()
    (suite / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (suite / "test_suite.py").write_text(tests, encoding="utf-8")
    if conftest:
        (suite / "conftest.py").write_text(conftest, encoding="utf-8")
    if dotenv:
        (suite / ".env").write_text(dotenv, encoding="utf-8")
    return suite


# Running pytest --------------------------------------------------------------------------


@dataclass(frozen=True)
class Variant:
    """One way of running pytest: a suite, extra arguments, an environment, tests expected."""

    label: str
    suite: Path
    env: Mapping[str, str]
    passed: int
    args: tuple[str, ...] = ()
    #: The environment's interpreter; empty: the lean one, with the plugin.
    python: str = ""

    @property
    def key(self) -> tuple[str, Path, tuple[str, ...], str]:
        return self.label, self.suite, self.args, self.python


@dataclass(frozen=True)
class Sample:
    """One run: wall and CPU seconds, what the stand-in saw, and the imports if asked."""

    wall: float
    cpu: float
    requests: int
    connections: int
    logins: int
    imports: Mapping[str, int] = field(default_factory=dict)


@dataclass
class Measured:
    """Every sample of one variant, with medians."""

    variant: Variant
    samples: list[Sample] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(s.wall for s in self.samples)

    @property
    def cpu(self) -> float:
        return statistics.median(s.cpu for s in self.samples)

    @property
    def last(self) -> Sample:
        return self.samples[-1]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def parse_imports(stderr: str) -> dict[str, int]:
    """``-X importtime`` output as module name -> self time in microseconds."""
    found: dict[str, int] = {}
    for line in stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match:
            found[match.group(2)] = int(match.group(1))
    return found


class Bench:
    """Runs pytest variants against the stand-in and keeps what each run cost."""

    def __init__(self, sandbox: Sandbox, plan: Plan, python: str, counted: bool) -> None:
        self.sandbox = sandbox
        self.plan = plan
        #: The interpreter of the variants that name none: the lean environment's.
        self.python = python
        #: Whether the goals are judged on instructions (valgrind) rather than wall time.
        self.counted = counted
        self._warm: set[tuple[str, Path, tuple[str, ...], str]] = set()
        self._counted: dict[tuple[str, Path, tuple[str, ...], str], int] = {}

    def run(self, variant: Variant, *, importtime: bool = False) -> Sample:
        """One pytest subprocess; stops the benchmark if its tests did not all pass."""
        flags, uncaptured = (IMPORTTIME, ("-s",)) if importtime else ((), ())
        python = variant.python or self.python
        command = [python, *flags, "-m", "pytest", *COMMON_ARGS, *uncaptured]
        command += variant.args
        self.sandbox.reset()
        cpu = children_cpu()
        started = time.perf_counter()
        done = subprocess.run(
            command,
            cwd=variant.suite,
            env=dict(variant.env),
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        wall = time.perf_counter() - started
        cpu = children_cpu() - cpu
        passed = PASSED.findall(done.stdout)
        if done.returncode != 0 or passed[-1:] != [str(variant.passed)]:
            sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
            raise SystemExit(
                f"benchmark run {variant.label!r} did not pass {variant.passed} tests "
                f"(exit code {done.returncode}): {' '.join(command)}"
            )
        return Sample(
            wall=wall,
            cpu=cpu,
            requests=self.sandbox.count(),
            connections=self.sandbox.connections,
            logins=sum(self.sandbox.count(route) for route in LOGIN_ROUTES),
            imports=parse_imports(done.stderr) if importtime else {},
        )

    def instructions(self, variant: Variant) -> int:
        """The instructions one run of ``variant`` executes, after an ordinary run."""
        if variant.key not in self._counted:
            progress(f"{variant.label}: instructions (valgrind)")
            self.run(variant)  # compiles bytecode, and checks that the tests pass
            python = variant.python or self.python
            command = [python, "-m", "pytest", *COMMON_ARGS, *variant.args]
            count = count_instructions(command, variant.suite, variant.env)
            self._counted[variant.key] = count
            sys.stderr.write(f"    {count / 1e6:.0f} M instructions\n")  # partial results too
        return self._counted[variant.key]

    def compare(
        self, variants: Sequence[Variant], *, rounds: int | None = None, importtime: bool = False
    ) -> list[Measured]:
        """Run the variants in turn, after one untimed warm-up run each.

        Each round runs every variant once, in an order shuffled per round (seeded, so a
        run of the script is repeatable): a fixed order would give each variant the same
        neighbour every time, and whatever one run leaves behind (a cache, a busy core)
        would weigh on the same variant in every round.
        """
        rounds = self.plan.rounds if rounds is None else rounds
        progress(f"{' vs '.join(v.label for v in variants)}: {rounds} round(s)")
        for variant in variants:
            if self.plan.warm_up and variant.key not in self._warm:
                self.run(variant)  # compiles bytecode and fills the OS's file cache
                self._warm.add(variant.key)
        measured = [Measured(variant) for variant in variants]
        order = random.Random(len(variants) * 1000 + rounds)
        for _ in range(rounds):
            for result in order.sample(measured, len(measured)):
                result.samples.append(self.run(result.variant, importtime=importtime))
        return measured


def progress(message: str) -> None:
    sys.stderr.write(f"  measuring {message}\n")
    sys.stderr.flush()


# The table -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the table; empty cells stay blank."""

    figure: str
    baseline: str = ""
    measured: str = ""
    ratio: str = ""
    cpu_ratio: str = ""
    goal: str = ""
    met: str = ""


HEADINGS = Row("figure", "baseline", "measured", "ratio", "cpu ratio", "goal", "met")


def seconds(value: float) -> str:
    return f"{value:.2f} s"


def verdict(ok: bool) -> str:
    return "yes" if ok else "NO"


def timed_row(figure: str, baseline: Measured, measured: Measured, goal: float | None) -> Row:
    """Median wall times side by side, their ratio, and the CPU-time ratio as a cross-check."""
    ratio = measured.wall / baseline.wall
    return Row(
        figure,
        seconds(baseline.wall),
        seconds(measured.wall),
        f"{ratio:.3f}",
        f"{measured.cpu / baseline.cpu:.3f}",
        "" if goal is None else f"<= {goal:.2f}",
        "" if goal is None else verdict(ratio <= goal),
    )


def heavy_name(module: str) -> str | None:
    """The heavy package or own module that ``module`` belongs to, if any."""
    package = module.partition(".")[0]
    if package in HEAVY_PACKAGES:
        return package
    return next((own for own in HEAVY_OWN if module == own or module.startswith(own + ".")), None)


def import_row(figure: str, baseline: Measured, measured: Measured) -> Row:
    """Modules the plugin adds to a run, their median self time, and whether any is heavy."""
    counts, milliseconds, heavy = [], [], set()
    for without, with_ in zip(baseline.samples, measured.samples, strict=True):
        added = set(with_.imports) - set(without.imports)
        counts.append(len(added))
        milliseconds.append(sum(with_.imports[name] for name in added) / 1000)
        heavy |= {name for name in map(heavy_name, added) if name is not None}
    return Row(
        figure,
        f"{len(baseline.last.imports)} modules",
        f"+{statistics.median(counts):.0f} modules, +{statistics.median(milliseconds):.1f} ms; "
        f"heavy: {', '.join(sorted(heavy)) or 'none'}",
        goal="no requests/urllib3",
        met=verdict(not heavy & {"requests", "urllib3"}),
    )


def render(rows: Iterable[Row]) -> str:
    """A Markdown table, aligned so that it also reads well in a terminal."""
    cells = [dataclasses.astuple(row) for row in (HEADINGS, *rows)]
    widths = [max(len(row[column]) for row in cells) for column in range(len(cells[0]))]
    lines = []
    for number, row in enumerate(cells):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if number == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def machine() -> str:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{datetime.date.today().isoformat()} · Python {platform.python_version()} · "
        f"{platform.system()} {platform.machine()} · {cores} cores (nproc)"
    )


# The benchmark ---------------------------------------------------------------------------

REQUEST = 'assert zephyr_session.get("testcycles").status_code == 200'


# The environments: what users install ---------------------------------------------------
#
# Every run uses the interpreter of a virtual environment made at start, into which pip
# installs the wheel built from this checkout, as a user's ``pip install`` does. pip writes
# the wheel's ``RECORD``; pytest reads it to mark the plugin's modules for assertion
# rewriting, so the package loads through pytest's import hook, as it does for a user
# (``rewriting_rows`` stops the benchmark otherwise), and asks the hook to leave its other
# modules to Python's own loader. A copy of the package on ``PYTHONPATH`` beside a
# ``.dist-info`` without ``RECORD`` is marked for nothing: it measures less than a user pays.
#
# Every other distribution is copied from the benchmark's own interpreter, file by file as
# its ``RECORD`` lists them, ``.dist-info`` included: the same versions, the same installed
# files (and bytecode) as pip left there, compiled extensions built for this very Python.
# Nothing is fetched: the benchmark, like the tests, talks to loopback only.

#: What every environment has: pytest and pytest-xdist, as in the CI setups the plugin targets.
LEAN = ("pytest", "pytest-xdist")
#: The reporters teams run beside the plugin: the second environment, for the second rows.
REPORTERS = (
    "allure-pytest",
    "pytest-json-report",
    "pytest-html",
    "pytest-csv",
    "pytest-reportlog",
)
OURS = "pytest-tm-auth"
#: What the wheel is built from: a copy, so that the build leaves nothing in the checkout.
SOURCES = ("pyproject.toml", "README.md", "pytest_tm_auth")
REPOSITORY = Path(__file__).resolve().parents[1]
#: The ``extra`` a requirement's marker sees: none, as ``pip install NAME`` asks for none.
NO_EXTRA = {"extra": ""}


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def wheel_requirements(wheel: Path) -> list[str]:
    """The ``Requires-Dist`` lines of the wheel's metadata, as pip reads them."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = (n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(archive.read(name))
    return metadata.get_all("Requires-Dist") or []


def applies(requirement: Requirement) -> bool:
    """Whether this interpreter installs ``requirement`` when no extra is asked for."""
    return requirement.marker is None or requirement.marker.evaluate(NO_EXTRA)


def closure(requirements: Iterable[str]) -> list[importlib.metadata.Distribution]:
    """The distributions of this interpreter that ``requirements`` need, theirs included.

    Stops unless every one is installed here at a version its requirement accepts: the
    environments would otherwise differ from what pip installs.
    """
    found: dict[str, importlib.metadata.Distribution] = {}
    waiting = [Requirement(text) for text in requirements]
    while waiting:
        requirement = waiting.pop()
        if not applies(requirement) or normalized(requirement.name) in found:
            continue
        try:
            dist = importlib.metadata.distribution(requirement.name)
        except importlib.metadata.PackageNotFoundError:
            raise SystemExit(
                f"{requirement} is not installed in {sys.prefix}: "
                "install the test extra (pip install -e '.[test]')"
            ) from None
        if not requirement.specifier.contains(dist.version, prereleases=True):
            raise SystemExit(f"{requirement} is wanted, {sys.prefix} has {dist.version}")
        found[normalized(requirement.name)] = dist
        waiting += map(Requirement, dist.requires or [])
    return sorted(found.values(), key=lambda dist: normalized(dist.metadata["Name"]))


def copy_installed(dists: Iterable[importlib.metadata.Distribution], site: Path) -> None:
    """Copies each distribution's installed files (its ``RECORD``) into ``site``.

    Files outside site-packages (console scripts, whose first line names this interpreter)
    stay behind: the runs start pytest with ``python -m pytest``.
    """
    for dist in dists:
        if normalized(dist.metadata["Name"]) == OURS or dist.files is None:
            raise SystemExit(f"cannot copy {dist.metadata['Name']}: it has no RECORD")
        for file in dist.files:
            if file.parts[0] == "..":
                continue
            origin = Path(str(dist.locate_file(file)))
            if not origin.exists() and file.suffix == ".pyc":
                continue  # bytecode listed but never written: Python writes it on first use
            target = site / file
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, target)  # the times kept: the copied bytecode stays valid


def pip(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *map(str, args)]


def checked(done: subprocess.CompletedProcess[str], what: str) -> None:
    if done.returncode != 0:
        raise SystemExit(f"could not {what}:\n{(done.stdout + done.stderr)[-3000:]}")


def build_wheel(root: Path, wheels: Path) -> Path:
    """The wheel of this checkout as it is now, built from a copy of its sources.

    Without build isolation, so with this interpreter's setuptools (a test extra): an
    isolated build would fetch the build backend from the package index.
    """
    source = root / "source"
    source.mkdir()
    for name in SOURCES:
        origin = REPOSITORY / name
        if origin.is_dir():
            shutil.copytree(origin, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(origin, source / name)
    offline = ("--no-index", "--no-build-isolation", "--no-deps")
    command = pip("wheel", *offline, "-w", wheels, source)
    checked(subprocess.run(command, capture_output=True, text=True, check=False), "build")
    (wheel,) = wheels.glob("pytest_tm_auth-*.whl")
    return wheel


@dataclass(frozen=True)
class Interpreters:
    """The interpreter of each environment."""

    #: pytest, pytest-xdist and the plugin (with its dependencies): what a user installs.
    lean: str
    #: The same and the popular reporters.
    reporters: str
    #: The lean environment less the plugin: its dependencies stay.
    without: str


def install(root: Path) -> Interpreters:
    """Builds the wheel and fills three environments, without the network.

    pip installs the wheel alone (``--no-deps --no-index``), as it would from the index;
    everything else is copied from this interpreter's installed files.
    """
    wheel = build_wheel(root, root / "wheels")
    ours = wheel_requirements(wheel)
    progress("the environments: wheel built, copying installed packages, installing the wheel")
    wanted = {
        "lean": (closure([*LEAN, *ours]), True),
        "reporters": (closure([*LEAN, *REPORTERS, *ours]), True),
        "without": (closure([*LEAN, *ours]), False),
    }
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    interpreters: list[str] = []
    started: list[tuple[list[str], subprocess.Popen[str]]] = []
    for name, (dists, with_plugin) in wanted.items():
        venv = root / name
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
        copy_installed(dists, venv / "lib" / version / "site-packages")
        python = venv / "bin" / "python"
        interpreters.append(str(python))
        if with_plugin:
            command = pip("--python", python, "install", "--no-deps", "--no-index", wheel)
            pipe, merged = subprocess.PIPE, subprocess.STDOUT
            process = subprocess.Popen(command, stdout=pipe, stderr=merged, text=True)
            started.append((command, process))
    for command, process in started:
        out, _ = process.communicate()
        done = subprocess.CompletedProcess(command, process.returncode, out, "")
        checked(done, f"install the wheel: {' '.join(command)}")
    return Interpreters(*interpreters)


def clean_environment(root: Path) -> dict[str, str]:
    """The caller's environment without credentials or options that would skew the runs."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(OWN_PREFIXES) and name not in FOREIGN
    }
    env["XDG_CACHE_HOME"] = str(root / "xdg")  # remembered tokens stay out of the user's home
    return env


#: Prints whether ``pytest_tm_auth`` can be imported and the pytest11 entry points' names.
PLUGINS_SEEN = (
    "import importlib.metadata as m, importlib.util as u; "
    "print(u.find_spec('pytest_tm_auth') is not None, "
    "*sorted(e.name for e in m.entry_points(group='pytest11')))"
)


def plugins_seen(python: str, env: Mapping[str, str], cwd: Path) -> list[str]:
    command = [python, "-c", PLUGINS_SEEN]
    done = subprocess.run(
        command, cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
    )
    return done.stdout.split() if done.returncode == 0 else [done.stderr.strip()]


def check_without(interpreters: Interpreters, env: Mapping[str, str], root: Path) -> None:
    """Stops unless the environment without the plugin cannot import it and sees the same
    pytest plugins as the lean one, ``tm_auth`` aside."""
    seen = plugins_seen(interpreters.without, env, root)
    expected = plugins_seen(interpreters.lean, env, root)
    others = [name for name in expected[1:] if name != "tm_auth"]
    if expected[:1] != ["True"] or "tm_auth" not in expected or seen != ["False", *others]:
        raise SystemExit(
            f"without the plugin, pytest would see {seen}; with it, {expected}: "
            "the not-installed runs would not measure a run without pytest-tm-auth"
        )


@dataclass(frozen=True)
class Setup:
    """The environments the variants run with, all pointing at one stand-in."""

    bare: Mapping[str, str]
    configured: Mapping[str, str]
    naive: Mapping[str, str]
    dotenv: str
    interpreters: Interpreters

    @classmethod
    def of(cls, sandbox: Sandbox, root: Path) -> Setup:
        interpreters = install(root)
        bare = clean_environment(root)
        settings = sandbox.settings("cloud")
        naive = {
            **bare,
            "BENCH_ZEPHYR_URL": settings["zephyr_url"],
            "BENCH_ZEPHYR_TOKEN": settings["zephyr_token"],
        }
        env = sandbox.env("cloud")
        dotenv = "".join(f"{name}={value}\n" for name, value in env.items())
        configured = {**bare, **env}
        check_without(interpreters, configured, root)
        return cls(bare, configured, naive, dotenv, interpreters)


LOADERS_CONFTEST = '''\
"""Writes down which loader loaded each module of pytest_tm_auth."""

import json
import sys


def pytest_sessionfinish():
    loaders = {
        name: type(module.__spec__.loader).__name__
        for name, module in list(sys.modules.items())
        if name.partition(".")[0] == "pytest_tm_auth" and module.__spec__ is not None
    }
    with open("loaders.json", "w", encoding="utf-8") as file:
        json.dump(loaders, file)
'''
#: pytest's import hook, which loads the modules it marked for assertion rewriting.
REWRITING_HOOK = "AssertionRewritingHook"


def rewriting_rows(bench: Bench, setup: Setup, root: Path) -> list[Row]:
    """Stops unless pytest marked the plugin for assertion rewriting, as after ``pip install
    pytest-tm-auth`` (its hook loads the package itself): otherwise the runs measure less
    than users pay. The package then asks the hook to let its other modules load as Python
    loads them (``_compat.load_without_rewriting``): the row says how many the hook loaded.

    Counts the modules of an unused run and of one using xray_session, in both environments.
    """
    suites = {
        "unused": write_suite(root, "loaders_unused", suite_of(3), LOADERS_CONFTEST),
        "xray_session": write_suite(
            root, "loaders_used", suite_of(3, "xray_session"), LOADERS_CONFTEST
        ),
    }
    interpreters = setup.interpreters
    counts = []
    for python in (interpreters.lean, interpreters.reporters):
        for name, suite in suites.items():
            bench.run(Variant(f"loaders, {name}", suite, setup.configured, 3, python=python))
            loaders = json.loads((suite / "loaders.json").read_text(encoding="utf-8"))
            if loaders.get("pytest_tm_auth") != REWRITING_HOOK:
                raise SystemExit(
                    f"{python}: pytest did not load pytest_tm_auth through its {REWRITING_HOOK}, "
                    "unlike after a pip install: the runs would measure less than users pay"
                )
            hooked = sum(kind == REWRITING_HOOK for kind in loaders.values())
            counts.append(f"{name} {hooked}/{len(loaders)}")
    half = len(counts) // 2
    return [
        Row(
            "pytest_tm_auth modules loaded by pytest's rewriting hook: lean; reporters",
            measured=f"{', '.join(counts[:half])}; {', '.join(counts[half:])}",
            goal="the package marked (as pip installs it)",
            met="yes",
        )
    ]


def hook_rows(bench: Bench, setup: Setup, root: Path) -> list[Row]:
    """With ``--instructions``: how much of the plugin's cost is pytest's rewriting hook.

    Counts the unused and the xray_session runs of :func:`startup_rows` and
    :func:`hand_written_rows` again (the same suites: the counts are kept) in a copy of the
    lean environment whose plugin has no ``RECORD``: pytest marks nothing of it for
    rewriting, and Python's own loader reads its bytecode.
    """
    if not bench.counted:
        return []
    unmarked = root / "unmarked"
    shutil.copytree(root / "lean", unmarked, symlinks=True)
    for record in unmarked.glob("lib/*/site-packages/pytest_tm_auth-*.dist-info/RECORD"):
        record.unlink()
    python = str(unmarked / "bin" / "python")
    n = bench.plan.trivial
    shares = []
    for label, suite in (("unused (env)", "trivial"), ("xray_session", "xray_plugin")):
        marked = Variant(label, root / suite, setup.configured, n)
        plain = dataclasses.replace(marked, label=f"{label}, unmarked", python=python)
        extra = bench.instructions(marked) - bench.instructions(plain)
        shares.append(f"{label} {extra / 1e6:+.0f} M")
    return [
        Row(
            "  of which pytest's rewriting hook (vs the same wheel unmarked)",
            measured="; ".join(shares),
        )
    ]


def goal_rows(bench: Bench, figure: str, baseline: Measured, measured: Measured) -> list[Row]:
    """The wall-time row; with ``--instructions`` the instructions beneath it hold the goal.

    Wall times of identical runs drift on a shared machine by more than the goal allows; the
    instructions a run executes (callgrind, ``PYTHONHASHSEED=0``) repeat to about 0.1 %.
    """
    wall = timed_row(figure, baseline, measured, None if bench.counted else STARTUP_GOAL)
    if not bench.counted:
        return [wall]
    before = bench.instructions(baseline.variant)
    after = bench.instructions(measured.variant)
    ratio = after / before
    counted = Row(
        "  the same in instructions (callgrind)",
        f"{before / 1e6:.0f} M",
        f"{after / 1e6:.0f} M",
        f"{ratio:.3f}",
        goal=f"<= {STARTUP_GOAL:.2f}",
        met=verdict(ratio <= STARTUP_GOAL),
    )
    return [wall, counted]


def startup_rows(bench: Bench, setup: Setup, root: Path) -> list[Row]:
    """Installed and configured but unused, against the plugin blocked with -p no:tm_auth
    and against an environment without it."""
    n = bench.plan.trivial
    trivial = write_suite(root, "trivial", suite_of(n))
    with_dotenv = write_suite(root, "trivial_dotenv", suite_of(n), dotenv=setup.dotenv)
    without = setup.interpreters.without
    variants = [
        Variant("-p no:tm_auth", trivial, setup.configured, n, NO_PLUGIN),
        Variant("unused (env)", trivial, setup.configured, n),
        Variant("unused (.env)", with_dotenv, setup.bare, n),
        Variant("not installed", trivial, setup.configured, n, python=without),
    ]
    separately = bench.plan.importtime_rounds > 0
    timed = bench.compare(variants, rounds=bench.plan.startup_rounds, importtime=not separately)
    off, env, dotenv, absent = timed
    label = f"unused, settings in env: {n} tests vs"
    rows = [
        *goal_rows(bench, f"{label} -p no:tm_auth", off, env),
        *goal_rows(bench, f"{label} plugin not installed", absent, env),
        timed_row(
            f"unused, settings in .env: {n} tests vs -p no:tm_auth",
            off,
            dotenv,
            None if bench.counted else STARTUP_GOAL,
        ),
    ]
    if separately:  # -X importtime slows imports a little: keep it out of the timed runs
        timed = bench.compare(variants[:3], rounds=bench.plan.importtime_rounds, importtime=True)
    off, env, dotenv = timed[:3]
    rows.append(import_row("-X importtime: unused, settings in env", off, env))
    rows.append(import_row("-X importtime: unused, settings in .env", off, dotenv))
    return rows


def fixture_rows(bench: Bench, setup: Setup, root: Path) -> list[Row]:
    """Tests asking for zephyr_session, against tests asking for nothing or a plain fixture."""
    n = bench.plan.trivial
    nothing = write_suite(root, "nothing", suite_of(n))
    plain = write_suite(root, "plain", suite_of(n, "plain_session"), PLAIN_FIXTURE_CONFTEST)
    using = write_suite(root, "using", suite_of(n, "zephyr_session"))
    none_, plain_, used = bench.compare(
        [
            Variant("no fixture", nothing, setup.configured, n),
            Variant("do-nothing fixture", plain, setup.configured, n),
            Variant("zephyr_session", using, setup.configured, n),
        ]
    )
    extra = used.wall - plain_.wall
    return [
        timed_row(f"{n} tests using zephyr_session vs using nothing", none_, used, None),
        timed_row(f"{n} tests using zephyr_session vs a do-nothing fixture", plain_, used, None),
        Row(
            "  difference per run / per test (incl. importing requests, 1 login)",
            measured=f"{extra * 1000:+.0f} ms / {extra / n * 1000:+.3f} ms",
        ),
    ]


def hand_written_rows(bench: Bench, setup: Setup, root: Path) -> list[Row]:
    """The plugin's xray_session against a hand-written one: the limit of using requests.

    Both log in once per run; what is left is what the plugin's fixtures and hooks cost. The
    hand-written runs block the plugin in the same environment, or run where it is not
    installed. They take as many rounds as the unused-plugin rows: the effect is as small.
    """
    n = bench.plan.trivial
    tests = suite_of(n, "xray_session")
    hand = write_suite(root, "hand_written", tests, HAND_WRITTEN_CONFTEST)
    plugin = write_suite(root, "xray_plugin", tests, PLUGIN_CONFTEST)
    without = setup.interpreters.without
    variants = [
        Variant("hand-written, -p no:tm_auth", hand, setup.configured, n, NO_PLUGIN),
        Variant("hand-written, not installed", hand, setup.configured, n, python=without),
        Variant("xray_session", plugin, setup.configured, n),
    ]
    separately = bench.plan.importtime_rounds > 0  # as in startup_rows: not in --quick
    measured = bench.compare(variants, rounds=bench.plan.startup_rounds, importtime=not separately)
    blocked, absent, used = measured
    if separately:
        progress("the same three once with -X importtime: is pytest_tm_auth imported?")
        checked = [bench.run(variant, importtime=True) for variant in variants]
    else:
        checked = [variant.last for variant in measured]
    imported = [
        any(name.partition(".")[0] == "pytest_tm_auth" for name in sample.imports)
        for sample in checked
    ]
    logins = [sorted({sample.logins for sample in m.samples}) for m in measured]
    label = f"{n} tests with xray_session vs hand-written"
    return [
        *goal_rows(bench, f"{label} session fixture, -p no:tm_auth", blocked, used),
        *goal_rows(bench, f"{label}, plugin not installed", absent, used),
        Row(
            "  difference per run / per test: vs -p no:tm_auth; vs not installed",
            measured="; ".join(
                f"{(used.wall - base.wall) * 1000:+.1f} ms / "
                f"{(used.wall - base.wall) / n * 1e6:+.0f} us"
                for base in (blocked, absent)
            ),
        ),
        Row(
            "  logins per run: hand-written -p no:tm_auth, not installed; plugin",
            measured=", ".join("-".join(map(str, counts)) for counts in logins),
            goal="1, 1, 1",
            met=verdict(logins == [[1]] * 3),
        ),
        Row(
            "  pytest_tm_auth imported: hand-written -p no:tm_auth, not installed; plugin",
            measured=", ".join("yes" if done else "no" for done in imported),
            goal="no, no, yes",
            met=verdict(imported == [False, False, True]),
        ),
    ]


def reporter_rows(bench: Bench, setup: Setup, root: Path) -> list[Row]:
    """The two comparisons against -p no:tm_auth again, with the popular reporters installed.

    Their plugins load in every run and their hooks run beside the plugin's, so the same
    plugin costs a smaller share of a run: a second row, not the goal's environment.
    """
    n = bench.plan.trivial
    python = setup.interpreters.reporters
    trivial = write_suite(root, "reporters_trivial", suite_of(n))
    tests = suite_of(n, "xray_session")
    hand = write_suite(root, "reporters_hand", tests, HAND_WRITTEN_CONFTEST)
    plugin = write_suite(root, "reporters_plugin", tests, PLUGIN_CONFTEST)
    env = setup.configured
    off, unused, blocked, used = bench.compare(
        [
            Variant("reporters, -p no:tm_auth", trivial, env, n, NO_PLUGIN, python),
            Variant("reporters, unused", trivial, env, n, python=python),
            Variant("reporters, hand-written, -p no:tm_auth", hand, env, n, NO_PLUGIN, python),
            Variant("reporters, xray_session", plugin, env, n, python=python),
        ],
        rounds=bench.plan.startup_rounds,
    )
    return [
        *goal_rows(bench, f"with reporters: unused, {n} tests vs -p no:tm_auth", off, unused),
        *goal_rows(
            bench, f"with reporters: {n} tests, xray_session vs hand-written", blocked, used
        ),
    ]


#: What valgrind's callgrind prints at the end: the instructions the process executed.
COLLECTED = re.compile(r"^==\d+== Collected : (\d+)$", re.MULTILINE)


def count_instructions(command: Sequence[str], cwd: Path, env: Mapping[str, str]) -> int:
    """The instructions ``command`` executes, counted by valgrind: the same on a busy machine.

    Wall and CPU times of two configurations drift by several percent between runs on a
    shared machine, more than the start-up goals allow; the instructions a process executes
    do not depend on the load. With ``PYTHONHASHSEED=0`` a run repeats to about 0.1 %.
    valgrind makes it about fifty times slower: only with ``--instructions``.
    """
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
        cwd=cwd,
        env={**env, "PYTHONHASHSEED": "0"},  # the same string hashes, the same dict orders
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    found = COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        tail = (done.stdout + done.stderr)[-2000:]
        raise SystemExit(f"valgrind could not count {' '.join(command)}:\n{tail}")
    return int(found.group(1))


def xdist_args(workers: int) -> tuple[str, ...]:
    return ("-n", str(workers))


def connection_rows(bench: Bench, setup: Setup, root: Path) -> list[Row]:
    """Logins and TCP connections, with and without xdist, for tests that use a provider
    (one GET each through zephyr_session) and for tests that use none."""
    m, most = bench.plan.requesting, bench.plan.workers
    unused = write_suite(root, "unused", suite_of(m))
    progress(f"{m} tests using no fixture at -n {most}: logins")
    sample = bench.run(Variant(f"-n {most}", unused, setup.configured, m, xdist_args(most)))
    # Under xdist the broker logs in on first use only: no test uses a provider, no login.
    rows = [
        Row(
            f"{m} tests using no fixture, -n {most}: logins (all providers)",
            measured=str(sample.logins),
            goal="0 (none used)",
            met=verdict(sample.logins == 0),
        )
    ]
    requesting = write_suite(root, "requesting", suite_of(m, "zephyr_session", REQUEST))
    for workers in (0, most):
        progress(f"{m} tests at -n {workers}: logins and connections")
        sample = bench.run(
            Variant(f"-n {workers}", requesting, setup.configured, m, xdist_args(workers))
        )
        label = f"{m} tests x 1 GET via zephyr_session, -n {workers}"
        pooled = sample.connections - sample.logins  # each login runs on its own connection
        per_worker = max(workers, 1)
        rows += [
            Row(
                f"{label}: logins (all providers)",
                measured=str(sample.logins),
                goal="1 (1 per used provider)",
                met=verdict(sample.logins == 1),
            ),
            Row(
                f"{label}: TCP connections",
                measured=f"{sample.connections} ({sample.logins} login, {pooled} pooled)",
                goal=f"logins + {per_worker} (1 per worker)",
                met=verdict(pooled <= per_worker),
            ),
        ]
    return rows


def lazy_xdist_rows(bench: Bench, setup: Setup, root: Path) -> list[Row]:
    """Logins and wall time at -n 0/2/N with three providers configured: a suite that uses
    one of them (Xray), and one that uses none, against the same suite with no credentials.
    The broker logs in on first use only, so the unused providers cost nothing."""
    m, most = bench.plan.requesting, bench.plan.workers
    one = write_suite(root, "lazy_one", suite_of(m, "xray_token"))
    none = write_suite(root, "lazy_none", suite_of(m))
    rows = []
    for workers in sorted({0, 2, most}):
        progress(f"{m} tests at -n {workers}: one provider of three, none, no credentials")
        args = xdist_args(workers)
        bare, used, unused = bench.compare(
            [
                Variant(f"none, no credentials, -n {workers}", none, setup.bare, m, args),
                Variant(f"xray of 3, -n {workers}", one, setup.configured, m, args),
                Variant(f"none of 3, -n {workers}", none, setup.configured, m, args),
            ]
        )
        label = f"{m} tests, 3 providers configured, -n {workers}"
        rows += [
            Row(
                f"{label}, 1 used: logins",
                measured=str(used.last.logins),
                goal="1 (xray only)",
                met=verdict(used.last.logins == 1),
            ),
            timed_row(f"{label}, 1 used: wall vs no credentials", bare, used, None),
            Row(
                f"{label}, none used: logins",
                measured=str(unused.last.logins),
                goal="0",
                met=verdict(unused.last.logins == 0),
            ),
            timed_row(f"{label}, none used: wall vs no credentials", bare, unused, None),
        ]
    return rows


def naive_rows(bench: Bench, setup: Setup, root: Path) -> list[Row]:
    """The same suite with the conftest users write today: a login per test, plain requests."""
    m = bench.plan.requesting
    tests = suite_of(m, "zephyr_session", REQUEST)
    naive = write_suite(root, "naive", tests, NAIVE_CONFTEST)
    plugin = write_suite(root, "plugin", tests)
    before, after = bench.compare(
        [
            Variant("naive conftest", naive, setup.naive, m, NO_PLUGIN),
            Variant("zephyr_session", plugin, setup.configured, m),
        ]
    )
    label = f"{m} tests x 1 GET: plugin vs naive per-test login"
    wall = timed_row(f"{label}: wall", before, after, None)
    rows = [dataclasses.replace(wall, goal="< 1", met=verdict(after.wall < before.wall))]
    for what in ("requests", "connections", "logins"):
        naive_count, plugin_count = getattr(before.last, what), getattr(after.last, what)
        rows.append(
            Row(
                f"{label}: {what}",
                str(naive_count),
                str(plugin_count),
                f"{plugin_count / naive_count:.3f}",
                goal="< 1",
                met=verdict(plugin_count < naive_count),
            )
        )
    return rows


#: Publishing on may cost collecting and journaling at most this ratio over publishing off.
COLLECT_GOAL = 1.03
#: Each service's switch and project, for the publishing rows.
PUBLISH_ARGS = {
    "xray": ("--xray-publish", "--xray-project=DEMO"),
    "zephyr": ("--zephyr-publish", "--zephyr-project=DEMO"),
}


def linked_suite(count: int) -> str:
    """``count`` tests linked to the stand-in's Xray Tests and Zephyr Scale test cases,
    several tests to a key (publishing off, the links cost nothing but the markers)."""
    return "import pytest\n\n\n" + "".join(
        f'@pytest.mark.xray("DEMO-{number % 250 + 1}")\n'
        f'@pytest.mark.zephyr("DEMO-T{number % 250 + 1}")\n'
        f"def test_{number}():\n    pass\n\n\n"
        for number in range(count)
    )


def counted_row(
    bench: Bench, figure: str, before: Variant, after: Variant, goal: float | None
) -> Row:
    """The instructions one run of each executes, side by side (``bench.counted`` only)."""
    first, second = bench.instructions(before), bench.instructions(after)
    return Row(
        figure,
        f"{first / 1e6:.0f} M",
        f"{second / 1e6:.0f} M",
        f"{second / first:.3f}",
        goal="" if goal is None else f"<= {goal:.2f}",
        met="" if goal is None else verdict(second / first <= goal),
    )


def results_rows(bench: Bench, setup: Setup, root: Path) -> list[Row]:
    """Linked tests with publishing off, collected and journaled (a dry run: nothing sent),
    and published to the stand-in's Xray and Zephyr Scale: what collecting costs, and
    what one publish to each service adds."""
    n = bench.plan.linked
    suite = write_suite(root, "linked", linked_suite(n))
    env = setup.configured
    off, dry, xray, zephyr = bench.compare(
        [
            Variant("linked, publishing off", suite, env, n),
            Variant("linked, dry run", suite, env, n, (*PUBLISH_ARGS["xray"], "--tm-auth-dry-run")),
            Variant("linked, published to Xray", suite, env, n, PUBLISH_ARGS["xray"]),
            Variant("linked, published to Zephyr Scale", suite, env, n, PUBLISH_ARGS["zephyr"]),
        ]
    )
    label = f"{n} linked tests"
    rows = [timed_row(f"{label}: collected (dry run) vs publishing off", off, dry, None)]
    if bench.counted:
        same = "  the same in instructions (callgrind)"
        rows.append(counted_row(bench, same, off.variant, dry.variant, COLLECT_GOAL))
    for measured, service in ((xray, "Xray"), (zephyr, "Zephyr Scale")):
        figure = f"{label}: published to the stand-in's {service} vs publishing off"
        rows.append(timed_row(figure, off, measured, None))
        if bench.counted:
            same = "  the same in instructions (callgrind)"
            rows.append(counted_row(bench, same, off.variant, measured.variant, None))
    return rows


def benchmark(plan: Plan, root: Path, counted: bool = False) -> list[Row]:
    with Sandbox() as sandbox:
        setup = Setup.of(sandbox, root)
        bench = Bench(sandbox, plan, setup.interpreters.lean, counted)
        return [
            *rewriting_rows(bench, setup, root),
            *startup_rows(bench, setup, root),
            *hand_written_rows(bench, setup, root),
            *hook_rows(bench, setup, root),
            *reporter_rows(bench, setup, root),
            *fixture_rows(bench, setup, root),
            *connection_rows(bench, setup, root),
            *lazy_xdist_rows(bench, setup, root),
            *naive_rows(bench, setup, root),
            *results_rows(bench, setup, root),
        ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Measure what pytest-tm-auth costs.")
    parser.add_argument("--quick", action="store_true", help="tiny suites, one run each")
    parser.add_argument(
        "--startup-rounds", type=int, help="timed runs per variant, unused plugin (default 21)"
    )
    parser.add_argument("--rounds", type=int, help="timed runs per variant, the rest (default 5)")
    parser.add_argument("--workers", type=int, help="xdist workers for the -n row (default 4)")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="judge the start-up goals on instructions counted by valgrind (about 10 minutes)",
    )
    options = parser.parse_args(argv)
    if options.instructions and shutil.which("valgrind") is None:
        parser.error("--instructions needs valgrind (Debian: apt install valgrind)")
    plan = QUICK if options.quick else Plan()
    if options.startup_rounds:
        plan = dataclasses.replace(plan, startup_rounds=options.startup_rounds)
    if options.rounds:
        plan = dataclasses.replace(plan, rounds=options.rounds)
    if options.workers:
        plan = dataclasses.replace(plan, workers=options.workers)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="tm-auth-bench-") as tmp:
        rows = benchmark(plan, Path(tmp), options.instructions)
    elapsed = time.perf_counter() - started
    print(f"pytest-tm-auth benchmark · {machine()}")
    version = importlib.metadata.version
    print(
        f"the wheel installed by pip with pytest {version('pytest')} and pytest-xdist "
        f"{version('pytest-xdist')}; also with {', '.join(REPORTERS)}; and without the plugin"
    )
    print(
        f"medians of {plan.startup_rounds} (unused plugin, hand-written fixture, reporters) or "
        f"{plan.rounds} (the rest) "
        "interleaved runs per variant · stand-in on loopback"
    )
    print()
    print(render(rows))
    print()
    print(f"total {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
