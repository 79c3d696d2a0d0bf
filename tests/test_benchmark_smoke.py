"""The benchmark keeps working: its quick mode runs every measurement and prints every row.

Only the rows are asserted, never the figures: a timing on a shared 2-core machine proves
nothing, and the full run (``python benchmarks/run.py``) is where the figures come from. The
quick run builds the wheel and its environments as the full one does, so it runs once, for
every test here.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARK = Path(__file__).parents[1] / "benchmarks" / "run.py"


#: pip with no package index to reach: no index, no configured index or wheel directory,
#: and an index URL on a loopback port nothing listens on. A benchmark that asks pip for a
#: package (``pip download``, an isolated build) fails instead of reaching the network.
OFFLINE_PIP = {
    "PIP_CONFIG_FILE": os.devnull,
    "PIP_NO_INDEX": "1",
    "PIP_INDEX_URL": "http://127.0.0.1:9/",
}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> pytest.RunResult:
    """One ``run.py --quick``: wheel, environments and every row, with tiny suites.

    Offline: the environments are filled from this interpreter's installed files.
    """
    where = tmp_path_factory.mktemp("bench")
    env = {name: value for name, value in os.environ.items() if not name.startswith("PIP_")}
    done = subprocess.run(
        [sys.executable, str(BENCHMARK), "--quick"],
        cwd=where,
        env={**env, **OFFLINE_PIP},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    return pytest.RunResult(done.returncode, done.stdout.splitlines(), done.stderr.splitlines(), 0)


def test_quick_benchmark_prints_every_row(quick_run: pytest.RunResult) -> None:
    assert quick_run.ret == 0, quick_run.stderr.str()
    quick_run.stdout.fnmatch_lines(
        [
            "pytest-tm-auth benchmark · * · Python * cores (nproc)",
            "| figure *| baseline *| measured *| ratio *| cpu ratio *| goal *| met *|",
            "| pytest_tm_auth modules loaded by pytest's rewriting hook: lean; reporters *",
            "| unused, settings in env: 20 tests vs -p no:tm_auth *| * s *| * s *| <= 1.03 *",
            "| unused, settings in env: 20 tests vs plugin not installed *| * s *| <= 1.03 *",
            "| unused, settings in .env: 20 tests vs -p no:tm_auth *| * s *| * s *| <= 1.03 *",
            "| -X importtime: unused, settings in env *| * modules *| +* modules, +* ms; heavy: *",
            "| -X importtime: unused, settings in .env *| * modules *| +* modules, +* ms; heavy: *",
            "| 20 tests with xray_session vs hand-written session fixture, -p no:tm_auth *"
            "| * s *| * s *| <= 1.03 *",
            "| 20 tests with xray_session vs hand-written, plugin not installed *"
            "| * s *| * s *| <= 1.03 *",
            "|   difference per run / per test: vs -p no:tm_auth; vs not installed *"
            "| * ms / * us; * ms / * us *",
            "|   logins per run: hand-written -p no:tm_auth, not installed; plugin *"
            "| 1, 1, 1 *| 1, 1, 1 *| yes *",
            "|   pytest_tm_auth imported: hand-written -p no:tm_auth, not installed; plugin *"
            "| no, no, yes *| no, no, yes *| yes *",
            "| with reporters: unused, 20 tests vs -p no:tm_auth *| * s *| * s *| <= 1.03 *",
            "| with reporters: 20 tests, xray_session vs hand-written *| * s *| * s *| <= 1.03 *",
            "| 20 tests using zephyr_session vs using nothing *",
            "| 20 tests using zephyr_session vs a do-nothing fixture *",
            "|   difference per run / per test * ms / * ms *",
            "| 20 tests using no fixture, -n 2: logins (all providers) *",
            "| 20 tests x 1 GET via zephyr_session, -n 0: logins (all providers) *| 1 *",
            "| 20 tests x 1 GET * -n 0: TCP connections *| 2 (1 login, 1 pooled) *",
            "| 20 tests x 1 GET via zephyr_session, -n 2: logins (all providers) *",
            "| 20 tests x 1 GET via zephyr_session, -n 2: TCP connections *",
            "| 20 tests, 3 providers configured, -n 0, 1 used: logins *| 1 (xray only) *| yes *",
            "| 20 tests, 3 providers configured, -n 0, 1 used: wall vs no credentials *",
            "| 20 tests, 3 providers configured, -n 0, none used: logins *| 0 *| yes *",
            "| 20 tests, 3 providers configured, -n 0, none used: wall vs no credentials *",
            "| 20 tests, 3 providers configured, -n 2, 1 used: logins *| 1 (xray only) *| yes *",
            "| 20 tests, 3 providers configured, -n 2, none used: logins *| 0 *| yes *",
            "| 20 tests, 3 providers configured, -n 2, none used: wall vs no credentials *",
            "| 20 tests x 1 GET: plugin vs naive per-test login: wall *",
            "| 20 tests x 1 GET: plugin vs naive per-test login: requests *| 40 *| 21 *",
            "| 20 tests x 1 GET: plugin vs naive per-test login: connections *| 20 *| 2 *",
            "| 20 tests x 1 GET: plugin vs naive per-test login: logins *| 20 *| 1 *",
            "| 20 linked tests: collected (dry run) vs publishing off *| * s *| * s *",
            "| 20 linked tests: published to the stand-in's Xray vs publishing off *| * s *",
            "| 20 linked tests: published to the stand-in's Zephyr Scale vs publishing off *",
            "total * s",
        ]
    )
    # The heavy modules stay out of an unused run even in quick mode.
    quick_run.stdout.fnmatch_lines(
        ["| -X importtime: unused, settings in env *heavy: none *| yes *"]
    )


def test_benchmarked_plugin_is_marked_for_rewriting_as_pip_installs_it(
    quick_run: pytest.RunResult,
) -> None:
    """The runs pay what a user pays: the wheel installed by pip, so that pytest marks the
    plugin for assertion rewriting and its hook loads the package; the package then lets
    its other modules load with Python's own loader, except the few imported before.

    The benchmark stops before measuring anything when the package was not marked (a copy
    of it beside a ``.dist-info`` without ``RECORD`` loads with Python's own loader).
    """
    assert quick_run.ret == 0, quick_run.stderr.str()
    line = next(text for text in quick_run.stdout.lines if "rewriting hook" in text)
    cells = [cell.strip() for cell in line.strip("|").split("|")]
    lean, reporters = cells[2].split("; ")
    loaded = dict(part.split(" ") for part in lean.split(", "))
    assert set(loaded) == {"unused", "xray_session"}, line
    for fraction in loaded.values():
        hooked, total = map(int, fraction.split("/"))
        # The package and _compat, which imports none of the rest.
        assert 1 <= hooked <= 2 < total, line
    assert int(loaded["unused"].split("/")[1]) < int(loaded["xray_session"].split("/")[1])
    assert reporters == lean, line
    assert cells[-2:] == ["the package marked (as pip installs it)", "yes"], line


def test_instructions_are_counted_the_same_on_every_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--instructions`` counts with valgrind: a short command gives a repeatable figure."""
    spec = importlib.util.spec_from_file_location("bench_run", BENCHMARK)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, bench)  # its dataclasses look their module up
    spec.loader.exec_module(bench)
    # -I -S: no site-packages to read at start-up, so each count is quick under valgrind.
    command = [sys.executable, "-I", "-S", "-c", "sum(range(10_000))"]
    environ = {"PATH": os.environ["PATH"]}
    small, again = (bench.count_instructions(command, pytester.path, environ) for _ in "12")
    larger = bench.count_instructions(
        [sys.executable, "-I", "-S", "-c", "sum(range(300_000))"], pytester.path, environ
    )
    assert abs(again - small) < small * 0.01
    assert larger > small * 1.2  # it counts the work done, not a constant
