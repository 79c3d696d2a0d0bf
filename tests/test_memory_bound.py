"""No answer can make the plugin hold more than a bounded amount of memory."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pytest_tm_auth.sandbox import Fault, Sandbox

#: Runs pytest as its only child and prints that child's peak memory (KiB on Linux).
MEASURE = """
import resource, subprocess, sys
done = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p",
                       "no:xdist", *sys.argv[1:]], capture_output=True, text=True, timeout=120)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stdout.write(done.stdout + "\\nMAXRSS=%d\\n" % peak)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KiB on Linux")
@pytest.mark.parametrize("fault", ["gzip_bomb", "oversized"])
def test_a_200_mb_gzip_bomb_or_a_10_mb_error_leaves_the_run_under_100_mb(
    pytester: pytest.Pytester, cloud_env: Sandbox, fault: str
) -> None:
    answer = Fault.gzip_bomb(200) if fault == "gzip_bomb" else Fault.oversized(10)
    cloud_env.add_faults(answer, route="xray.authenticate")
    test = pytester.makepyfile("def test_login(xray_token):\n    pass\n")

    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(test)],
        capture_output=True,
        text=True,
        timeout=150,
        cwd=pytester.path,
        check=False,
    )

    assert "Xray login failed at " in done.stdout, done.stdout + done.stderr
    assert "HTTP 500" in done.stdout
    peak_kib = int(done.stdout.rsplit("MAXRSS=", 1)[1])
    assert peak_kib < 100 * 1024, f"peak memory {peak_kib / 1024:.0f} MB"
