"""The README's first command, run exactly as a newcomer types it, so the examples cannot rot.

A real subprocess from the repository root: the installed entry point, the root conftest and
``examples/conftest.py`` all take part, as they do for a user.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_tm_auth.sandbox import DEMO

REPO = Path(__file__).resolve().parent.parent
#: The tests in examples/ (recipes are collected separately); update it with the examples.
EXAMPLE_TESTS = 4
#: Variables of the outer pytest (xdist worker ids, addopts) that must not steer the inner run.
OUTER_PREFIXES = ("PYTEST_", "XRAY_", "ZEPHYR_", "JIRA_", "TM_AUTH_")


def run_examples() -> subprocess.CompletedProcess[str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith(OUTER_PREFIXES)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "examples", "--tm-auth-sandbox", "-p", "no:cacheprovider"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def examples_run() -> subprocess.CompletedProcess[str]:
    return run_examples()


def test_every_example_passes(examples_run: subprocess.CompletedProcess[str]) -> None:
    assert examples_run.returncode == 0, examples_run.stdout + examples_run.stderr
    pytest.LineMatcher(examples_run.stdout.splitlines()).re_match_lines(
        [rf"=+ {EXAMPLE_TESTS} passed in [\d.]+s.* =+$"]
    )


def test_header_names_each_provider_and_the_sandbox_as_source(
    examples_run: subprocess.CompletedProcess[str],
) -> None:
    pytest.LineMatcher(examples_run.stdout.splitlines()).fnmatch_lines(
        [
            "tm-auth: xray cloud http://127.0.0.1:* (client id demo…t-id from sandbox, "
            "client secret from sandbox)",
            "tm-auth: zephyr cloud http://127.0.0.1:*/v2 (token from sandbox)",
            "tm-auth: jira cloud http://127.0.0.1:* (*from sandbox*)",
        ]
    )


def test_summary_reports_one_login_per_used_provider(
    examples_run: subprocess.CompletedProcess[str],
) -> None:
    lines = examples_run.stdout.splitlines()
    pytest.LineMatcher(lines).fnmatch_lines(
        ["*- tm-auth -*", "xray: authenticated in * s (expires *)", "zephyr: authenticated in * s"]
    )
    assert sum(line.startswith("xray: authenticated") for line in lines) == 1
    assert not any(line.startswith("jira:") for line in lines), "jira was never used"


def test_no_demo_secret_is_printed(examples_run: subprocess.CompletedProcess[str]) -> None:
    output = examples_run.stdout + examples_run.stderr
    for secret in (DEMO.xray_client_secret, DEMO.zephyr_token, DEMO.jira_api_token):
        assert secret not in output
