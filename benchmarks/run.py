"""What pytest-tm-auth costs: nothing when installed but unused, one login when used.

Starts the stand-in on loopback, writes generated test suites into a temporary directory,
runs pytest on them in subprocesses with the stand-in's settings, interleaving the variants
it compares (each round runs each once, in shuffled order), and prints one table of medians,
ratios, counts and goals::

    python benchmarks/run.py            # the full benchmark: about a minute on 2 cores
    python benchmarks/run.py --quick    # every row, tiny suites, one run each (a smoke test)

Each pytest subprocess starts a fresh interpreter, so wall times include start-up, as a
user's run does. The runs import a copy of the plugin taken at start, with bytecode cached in
a private directory (``PYTHONPYCACHEPREFIX``), and every variant runs once before timing:
neither an edit made meanwhile nor a missing ``__pycache__`` (an editable install,
``PYTHONDONTWRITEBYTECODE``) bills compilation to the plugin, as an installed package never
pays it. See ``benchmarks/README.md`` for what each row means and the latest figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import importlib.metadata
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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pytest_tm_auth
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
)
#: Modules that an unused plugin must not import (top-level packages and own modules).
HEAVY_PACKAGES = ("requests", "urllib3", "keyring", "dotenv")
HEAVY_OWN = ("pytest_tm_auth.sandbox", "pytest_tm_auth.http")
#: Each Cloud provider's login: Xray's token exchange, one authenticated check for the others.
LOGIN_ROUTES = ("xray.authenticate", "zephyr.projects", "jira.myself")
UNUSED_GOAL = 1.03
#: The plugin's xray_session against a hand-written session fixture built on plain requests.
FIXTURE_GOAL = 1.03
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
    #: The unused-plugin comparison has a goal and a small effect (a few percent): more runs.
    startup_rounds: int = 21
    rounds: int = 5
    importtime_rounds: int = 3
    workers: int = 4
    warm_up: bool = True


QUICK = Plan(
    trivial=20,
    requesting=20,
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

    def __init__(self, sandbox: Sandbox, plan: Plan, python: str) -> None:
        self.sandbox = sandbox
        self.plan = plan
        #: The interpreter of every run (see :func:`uninstalled`).
        self.python = python
        self._warm: set[tuple[str, Path]] = set()

    def run(self, variant: Variant, *, importtime: bool = False) -> Sample:
        """One pytest subprocess; stops the benchmark if its tests did not all pass."""
        flags, uncaptured = (IMPORTTIME, ("-s",)) if importtime else ((), ())
        command = [self.python, *flags, "-m", "pytest", *COMMON_ARGS, *uncaptured]
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
        self.run(variant)  # compiles bytecode, and checks that the tests pass
        command = [self.python, "-m", "pytest", *COMMON_ARGS, *variant.args]
        return count_instructions(command, variant.suite, variant.env)

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
            if self.plan.warm_up and (variant.label, variant.suite) not in self._warm:
                self.run(variant)  # compiles bytecode and fills the OS's file cache
                self._warm.add((variant.label, variant.suite))
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


def snapshot(root: Path) -> Path:
    """A copy of the plugin as it is now, installed as a wheel would install it, on a path.

    The code must not change under the benchmark: an edited module would be recompiled in
    the next run that imports it, billing compilation to the plugin as an installed package
    never would. Beside the package lies its ``.dist-info`` with the ``pytest11`` entry point,
    as a wheel leaves it: the runs' interpreter (see :func:`uninstalled`) has no editable
    install, whose import hook every run of an editable checkout pays for, plugin or not.
    """
    site = root / "site"
    shutil.copytree(
        Path(pytest_tm_auth.__file__).parent,
        site / "pytest_tm_auth",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    ours = importlib.metadata.distribution("pytest-tm-auth")
    info = site / f"pytest_tm_auth-{ours.version}.dist-info"
    info.mkdir()
    metadata = f"Metadata-Version: 2.1\nName: pytest-tm-auth\nVersion: {ours.version}\n"
    (info / "METADATA").write_text(metadata, encoding="utf-8")
    (info / "entry_points.txt").write_text(ours.read_text("entry_points.txt") or "", "utf-8")
    return site


def clean_environment(root: Path, quick: bool, python: str) -> dict[str, str]:
    """The caller's environment without credentials or options that would skew the runs,
    with the copy of the plugin on the path of ``python``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(OWN_PREFIXES) and name not in FOREIGN
    }
    site = snapshot(root)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    where = subprocess.run(
        [python, "-c", "import pytest_tm_auth; print(pytest_tm_auth.__file__)"],
        cwd=root,  # as the runs do: never the repository, whose checkout would come first
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(where).is_relative_to(site):
        raise SystemExit(f"the runs would import pytest_tm_auth from {where}, not the copy")
    env["XDG_CACHE_HOME"] = str(root / "xdg")  # remembered tokens stay out of the user's home
    if quick:
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # nothing to warm up: read what is installed
    else:
        env["PYTHONPYCACHEPREFIX"] = str(root / "pyc")
    return env


# "Plugin not installed": a virtual environment with every package of this one but ours. The
# alternative, PYTEST_DISABLE_PLUGIN_AUTOLOAD=1 with the other plugins named by -p, would
# measure less than a run without the plugin: with autoload off pytest also skips reading
# every distribution's entry points and marking the plugins for assertion rewriting, work an
# environment without pytest-tm-auth still does. Here pytest reads the same distributions
# (less ours), loads the same plugins from their entry points, and the interpreter runs the
# same .pth files, except the editable install's: only the files pip recorded for
# pytest-tm-auth are left out. The other packages are linked, not copied.

SITE_DIRS = (
    "import sysconfig; print(*sorted({sysconfig.get_path(n) for n in ('purelib', 'platlib')}),"
    " sep='\\n')"
)
#: Prints whether ``pytest_tm_auth`` can be imported and the pytest11 entry points' names.
PLUGINS_SEEN = (
    "import importlib.metadata as m, importlib.util as u; "
    "print(u.find_spec('pytest_tm_auth') is not None, "
    "*sorted(e.name for e in m.entry_points(group='pytest11')))"
)


def mirror(source: Path, target: Path, hidden: set[PurePosixPath], where: PurePosixPath) -> None:
    """Link every entry of ``source`` into ``target`` but the ``hidden`` files.

    A directory holding a hidden file is rebuilt with links to the rest (``__pycache__``);
    one holding nothing else (the ``.dist-info``) is left out.
    """
    for entry in sorted(source.iterdir()):
        relative = where / entry.name
        if relative in hidden:
            continue
        if not any(relative in path.parents for path in hidden):
            (target / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
            continue
        (target / entry.name).mkdir()
        mirror(entry, target / entry.name, hidden, relative)
        if not any((target / entry.name).iterdir()):
            (target / entry.name).rmdir()


def plugins_seen(python: str, env: Mapping[str, str], cwd: Path) -> list[str]:
    command = [python, "-c", PLUGINS_SEEN]
    done = subprocess.run(
        command, cwd=cwd, env=dict(env), capture_output=True, text=True, check=False
    )
    return done.stdout.split() if done.returncode == 0 else [done.stderr.strip()]


def site_dirs(python: str) -> list[Path]:
    """Where ``python`` installs packages (``purelib`` and ``platlib``, often one directory)."""
    command = [python, "-c", SITE_DIRS]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return [Path(line) for line in done.stdout.splitlines()]


def recorded(site: Path) -> set[PurePosixPath]:
    """The files pip recorded for pytest-tm-auth in ``site``, relative to it."""
    for dist in importlib.metadata.distributions(path=[str(site)]):
        if dist.metadata["Name"].lower().replace("_", "-") == "pytest-tm-auth":
            return {PurePosixPath(str(path)) for path in dist.files or ()}
    return set()


def uninstalled(root: Path) -> str:
    """An interpreter that has every package of this environment but pytest-tm-auth."""
    venv = root / "uninstalled"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = str(venv / "bin" / "python")
    sources, targets = site_dirs(sys.executable), site_dirs(python)
    if not sources or len(sources) != len(targets):
        raise SystemExit(f"cannot mirror the site directories {sources} into {targets}")
    for source, target in zip(sources, targets, strict=True):
        mirror(source, target, recorded(source), PurePosixPath())
    return python


def without_plugin(python: str, configured: Mapping[str, str], root: Path) -> dict[str, str]:
    """``configured`` without the copy of the plugin on the path: pytest-tm-auth not installed.

    Stops the benchmark unless ``python`` then cannot import ``pytest_tm_auth`` and sees the
    same pytest plugins as the plugin's runs, ``tm_auth`` aside.
    """
    env = {name: value for name, value in configured.items() if name != "PYTHONPATH"}
    if os.environ.get("PYTHONPATH"):  # the caller's, without the copy of the plugin
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    seen, expected = plugins_seen(python, env, root), plugins_seen(python, configured, root)
    others = [name for name in expected[1:] if name != "tm_auth"]
    if expected[:1] != ["True"] or "tm_auth" not in expected or seen != ["False", *others]:
        raise SystemExit(
            f"without the plugin, pytest would see {seen}; with it, {expected}: "
            "the not-installed runs would not measure a run without pytest-tm-auth"
        )
    return env


@dataclass(frozen=True)
class Setup:
    """The environments the variants run with, all pointing at one stand-in."""

    bare: Mapping[str, str]
    configured: Mapping[str, str]
    naive: Mapping[str, str]
    dotenv: str
    #: The interpreter of every run: every package of this environment but pytest-tm-auth,
    #: which the environments (but ``uninstalled``) put on its path as a wheel would.
    python: str
    uninstalled: Mapping[str, str]

    @classmethod
    def of(cls, sandbox: Sandbox, root: Path, quick: bool) -> Setup:
        python = uninstalled(root)
        bare = clean_environment(root, quick, python)
        settings = sandbox.settings("cloud")
        naive = {
            **bare,
            "BENCH_ZEPHYR_URL": settings["zephyr_url"],
            "BENCH_ZEPHYR_TOKEN": settings["zephyr_token"],
        }
        env = sandbox.env("cloud")
        dotenv = "".join(f"{name}={value}\n" for name, value in env.items())
        configured = {**bare, **env}
        without = without_plugin(python, configured, root)
        return cls(bare, configured, naive, dotenv, python, without)


def startup_rows(bench: Bench, setup: Setup, root: Path) -> list[Row]:
    """Installed and configured but unused, against the plugin blocked with -p no:tm_auth."""
    n = bench.plan.trivial
    trivial = write_suite(root, "trivial", suite_of(n))
    with_dotenv = write_suite(root, "trivial_dotenv", suite_of(n), dotenv=setup.dotenv)
    variants = [
        Variant("-p no:tm_auth", trivial, setup.configured, n, NO_PLUGIN),
        Variant("unused (env)", trivial, setup.configured, n),
        Variant("unused (.env)", with_dotenv, setup.bare, n),
    ]
    separately = bench.plan.importtime_rounds > 0
    timed = bench.compare(variants, rounds=bench.plan.startup_rounds, importtime=not separately)
    off, env, dotenv = timed
    rows = [
        timed_row(f"unused, settings in env: {n} tests vs -p no:tm_auth", off, env, UNUSED_GOAL),
        timed_row(
            f"unused, settings in .env: {n} tests vs -p no:tm_auth", off, dotenv, UNUSED_GOAL
        ),
    ]
    if separately:  # -X importtime slows imports a little: keep it out of the timed runs
        timed = bench.compare(variants, rounds=bench.plan.importtime_rounds, importtime=True)
    off, env, dotenv = timed
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
    variants = [
        Variant("hand-written, -p no:tm_auth", hand, setup.configured, n, NO_PLUGIN),
        Variant(
            "hand-written, not installed",
            hand,
            setup.uninstalled,
            n,
        ),
        Variant("xray_session", plugin, setup.configured, n),
    ]
    measured = bench.compare(variants, rounds=bench.plan.startup_rounds)
    blocked, absent, used = measured
    progress("the same three once with -X importtime: is pytest_tm_auth imported?")
    imported = [
        any(name.partition(".")[0] == "pytest_tm_auth" for name in sample.imports)
        for sample in (bench.run(variant, importtime=True) for variant in variants)
    ]
    logins = [sorted({sample.logins for sample in m.samples}) for m in measured]
    label = f"{n} tests with xray_session vs hand-written"
    return [
        timed_row(f"{label} session fixture, -p no:tm_auth", blocked, used, FIXTURE_GOAL),
        timed_row(f"{label}, plugin not installed", absent, used, FIXTURE_GOAL),
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


def instruction_rows(bench: Bench, setup: Setup, root: Path) -> list[Row]:
    """The two start-up goals again, counted in instructions: what load does not change.

    One run per variant under valgrind (see :mod:`instructions`), after an untimed one.
    """
    n = bench.plan.trivial
    trivial = write_suite(root, "instructions_trivial", suite_of(n))
    tests = suite_of(n, "xray_session")
    hand = write_suite(root, "instructions_hand", tests, HAND_WRITTEN_CONFTEST)
    plugin = write_suite(root, "instructions_plugin", tests, PLUGIN_CONFTEST)
    pairs = [
        (
            f"instructions: unused, settings in env: {n} tests vs -p no:tm_auth",
            Variant("-p no:tm_auth", trivial, setup.configured, n, NO_PLUGIN),
            Variant("unused (env)", trivial, setup.configured, n),
        ),
        (
            f"instructions: {n} tests with xray_session vs hand-written, -p no:tm_auth",
            Variant("hand-written, -p no:tm_auth", hand, setup.configured, n, NO_PLUGIN),
            Variant("xray_session", plugin, setup.configured, n),
        ),
        (
            f"instructions: {n} tests with xray_session vs hand-written, not installed",
            Variant("hand-written, not installed", hand, setup.uninstalled, n),
            Variant("xray_session", plugin, setup.configured, n),
        ),
    ]
    rows = []
    for figure, base, used in pairs:
        progress(f"{base.label} vs {used.label}: instructions (valgrind)")
        before, after = bench.instructions(base), bench.instructions(used)
        ratio = after / before
        rows.append(
            Row(
                figure,
                f"{before / 1e6:.0f} M",
                f"{after / 1e6:.0f} M",
                f"{ratio:.3f}",
                goal=f"<= {UNUSED_GOAL:.2f}",
                met=verdict(ratio <= UNUSED_GOAL),
            )
        )
    return rows


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


def benchmark(plan: Plan, root: Path, quick: bool, counted: bool = False) -> list[Row]:
    with Sandbox() as sandbox:
        setup = Setup.of(sandbox, root, quick)
        bench = Bench(sandbox, plan, setup.python)
        return [
            *startup_rows(bench, setup, root),
            *(instruction_rows(bench, setup, root) if counted else []),
            *fixture_rows(bench, setup, root),
            *hand_written_rows(bench, setup, root),
            *connection_rows(bench, setup, root),
            *lazy_xdist_rows(bench, setup, root),
            *naive_rows(bench, setup, root),
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
        help="also count the start-up goals' instructions with valgrind (about 3 minutes)",
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
        rows = benchmark(plan, Path(tmp), options.quick, options.instructions)
    elapsed = time.perf_counter() - started
    print(f"pytest-tm-auth benchmark · {machine()}")
    print(
        f"medians of {plan.startup_rounds} (unused plugin, hand-written fixture) or "
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
