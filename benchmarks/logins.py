"""Logins and wall time for 200 tests at ``-n 0/2/4``, with and without remembered tokens.

Every test uses the Xray, Zephyr Scale and Jira sessions and makes one Xray GraphQL call,
against a stand-in started here. Each configuration runs as its own pytest process, side
by side in one invocation; the stand-in counts the login requests each one made::

    python benchmarks/logins.py [--repeat N]

"remembered" runs reuse the token a first (unmeasured) run stored; only Xray Cloud issues
tokens with an expiry, so Zephyr Scale and Jira credentials are still checked once per run.
The last row turns sharing off (``-p no:tm_auth_xdist``) to show what it saves.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from pytest_tm_auth.sandbox import Sandbox

TESTS = 200
SUITE = f"""
import pytest

@pytest.mark.parametrize("number", range({TESTS}))
def test_call(xray_session, zephyr_session, jira_session, number):
    answer = xray_session.post("graphql", json={{"query": "{{ getTests(limit: 1) {{ total }} }}"}})
    assert answer.status_code == 200
"""
LOGIN_ROUTES = {"xray": "xray.authenticate", "zephyr": "zephyr.projects", "jira": "jira.myself"}
OWN_PREFIXES = ("XRAY_", "ZEPHYR_", "JIRA_", "TM_AUTH_", "PYTEST_ADDOPTS")


@dataclass(frozen=True)
class Case:
    workers: int
    remember: bool = False
    sharing: bool = True

    def args(self) -> list[str]:
        args = ["-n", str(self.workers)] if self.workers else ["-p", "no:xdist"]
        if self.remember:
            args.append("--tm-auth-remember")
        if not self.sharing:
            args += ["-p", "no:tm_auth_xdist"]
        return args

    @property
    def label(self) -> str:
        remember = "remembered" if self.remember else "-"
        sharing = ("on" if self.sharing else "OFF") if self.workers else "-"
        return f"{self.workers:>7}  {remember:<10}  {sharing:<7}"


CASES = [
    *(Case(workers) for workers in (0, 2, 4)),
    *(Case(workers, remember=True) for workers in (0, 2, 4)),
    Case(4, sharing=False),
]


@dataclass(frozen=True)
class Measured:
    logins: dict[str, int]
    seconds: float
    passed: bool


def run(case: Case, sandbox: Sandbox, directory: Path, env: dict[str, str]) -> Measured:
    sandbox.reset()
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *case.args()]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=directory, env=env, capture_output=True, check=False)
    seconds = time.perf_counter() - started
    logins = {name: sandbox.count(route) for name, route in LOGIN_ROUTES.items()}
    return Measured(logins, seconds, done.returncode == 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=1, help="runs per row; the fastest counts")
    repeat = max(1, parser.parse_args().repeat)
    with Sandbox() as sandbox, tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        (directory / "test_suite.py").write_text(SUITE, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
        env.update(sandbox.env("cloud"))
        env["XDG_CACHE_HOME"] = str(directory / "cache")
        run(Case(0, remember=True), sandbox, directory, env)  # store a token to remember
        # Rounds of every case in turn, so that a busy moment does not land on one row only.
        rounds = [[run(case, sandbox, directory, env) for case in CASES] for _ in range(repeat)]
        print(f"{TESTS} tests against the stand-in, {os.cpu_count()} CPUs, best of {repeat}")
        print("workers  tokens      sharing  xray  zephyr  jira  wall s  ok")
        for index, case in enumerate(CASES):
            results = [measured[index] for measured in rounds]
            best = min(results, key=lambda measured: measured.seconds)
            counts = best.logins
            print(
                f"{case.label}  {counts['xray']:>4}  {counts['zephyr']:>6}  {counts['jira']:>4}"
                f"  {best.seconds:>6.2f}  {'yes' if all(r.passed for r in results) else 'NO'}"
            )


if __name__ == "__main__":
    main()
