"""A JUnit report whose one test printed a great deal: the command's memory does not grow
with the text, which is looked through for the secrets as it streams and never kept."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pytest_tm_auth.sandbox import Sandbox
from tests.test_publish_report import peak_memory

#: The output's size, and the most the command may take reading it (the interpreter alone
#: takes about 40 MB; keeping the whole text took 124 MiB for this one, 44 MiB without).
OUTPUT = 80 * 1024 * 1024
BOUND = 72 * 1024 * 1024


def one_long_output(path: Path, size: int) -> None:
    line = "x" * 99 + "\n"
    with path.open("w", encoding="utf-8") as file:
        file.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="s">'
            '<testcase classname="a" name="test_DEMO_T1" time="1"><system-out>'
        )
        block = line * 10_000
        for _ in range(size // len(block)):
            file.write(block)
        file.write("</system-out></testcase></testsuite></testsuites>\n")


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in kilobytes on Linux")
def test_a_report_with_one_long_output_is_read_in_bounded_memory(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    report = tmp_path / "report.xml"
    one_long_output(report, OUTPUT)
    env = sandbox.env("cloud") | {"ZEPHYR_PROJECT": "DEMO"}  # its secrets: looked for

    done, peak = peak_memory("publish", "zephyr", str(report), "--tm-auth-dry-run", env=env)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1].endswith("holds 1 cases: nothing sent")
    assert sandbox.requests == []
    assert peak < BOUND, f"{peak / 2**20:.0f} MiB"
