"""Two promises of publishing at their limits, against the stand-in: 10,000 linked tests land
in one import within the run's memory bound, and a controller killed halfway leaves a
journal that ``pytest-tm-auth publish`` lands, once however often it runs.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from pytest_tm_auth.cli.main import main
from pytest_tm_auth.sandbox import Sandbox
from tests.test_memory_bound import MEASURE

#: Linked tests in the big run, over the stand-in's 250 seeded Tests.
MANY = 10_000
TESTS = 250
#: What the whole run (pytest, the plugin, its journal and payload) may reach.
PEAK_MB = 150


def many_linked_tests() -> str:
    """``MANY`` tests: 40 parametrized functions of 250 variants, each linked to one Test."""
    functions = [
        f"@pytest.mark.xray('DEMO-{number + 1}')\n"
        f"@pytest.mark.parametrize('n', range({MANY // 40}))\n"
        f"def test_{number}(n):\n    pass\n"
        for number in range(40)
    ]
    return "import pytest\n\n" + "\n".join(functions)


@pytest.mark.scale
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KiB on Linux")
def test_ten_thousand_linked_tests_land_in_one_import_under_150_mb(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    test = pytester.makepyfile(test_many=many_linked_tests())
    journal = pytester.path / "journal.jsonl"
    options = ["--xray-publish", "--xray-project=DEMO", f"--tm-auth-journal={journal}", "-q"]
    # The plugin alone, as a lean CI job loads it: the test extra's reporters would hold
    # their own copy of every report, which is not what this bound is about.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    options += ["-p", "pytest_tm_auth.plugin"]

    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(test), *options],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=pytester.path,
        check=False,
    )

    assert f"{MANY} passed" in done.stdout, done.stdout[-3000:] + done.stderr[-3000:]
    assert "xray: published 40 results to DEMO-" in done.stdout
    assert cloud_env.count("xray.import") == 1
    (execution,) = cloud_env.test_executions()
    assert sum(len(run["iterations"]) for run in execution["runs"].values()) == MANY
    peak_kib = int(done.stdout.rsplit("MAXRSS=", 1)[1])
    assert peak_kib < PEAK_MB * 1024, f"peak memory {peak_kib / 1024:.0f} MB"


KILLED_HALFWAY = """
import os
import signal

import pytest


@pytest.mark.xray("DEMO-1")
@pytest.mark.parametrize("n", range(10))
def test_numbered(n):
    if n == 5:
        os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_killed_run_is_landed_by_the_command_once(
    pytester: pytest.Pytester, cloud_env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    pytester.makepyfile(test_killed=KILLED_HALFWAY)
    journal = pytester.path / "journal.jsonl"

    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--xray-publish", "--xray-project=DEMO",
        f"--tm-auth-journal={journal}",
    )  # fmt: skip

    assert result.ret == -signal.SIGKILL
    assert cloud_env.test_executions() == []  # killed before the end: nothing was sent
    capsys.readouterr()
    assert main(["publish", str(journal)]) == 0
    assert main(["publish", str(journal)]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said[0].startswith("xray: published 1 result to DEMO-")
    assert said[1].startswith("xray: already published to DEMO-")
    (execution,) = cloud_env.test_executions()
    iterations = execution["runs"]["DEMO-1"]["iterations"]
    assert [iteration["name"] for iteration in iterations] == ["0", "1", "2", "3", "4"]
    assert cloud_env.count("xray.import") == 1
