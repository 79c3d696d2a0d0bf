"""A compressed answer costs a login a bounded amount of memory on every urllib3 allowed.

urllib3 before 2.6.3 inflated a whole brotli or gzip answer at the first read of a
streamed body, or while draining one before a retry: 809 bytes of brotli become 512 MB.
The lowest session runs this on the lowest urllib3 ``pyproject.toml`` allows, with brotli
installed (the ``test`` extra).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import brotli  # type: ignore[import-untyped, import-not-found, unused-ignore]  # the test extra: a skip would hide a bomb
import pytest

from tests.hostile import Answer, HostileServer, serving_xray
from tests.test_memory_bound import MEASURE

INFLATED_MB = 512


def brotli_zeros(megabytes: int) -> bytes:
    """``megabytes`` MB of zeros in brotli, compressed a megabyte at a time."""
    squeeze = brotli.Compressor(quality=5)
    parts = [squeeze.process(bytes(1 << 20)) for _ in range(megabytes)]
    return b"".join(parts) + bytes(squeeze.finish())


@pytest.fixture
def bomb_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    with serving_xray(monkeypatch, "demo-bomb-secret-not-real") as server:
        yield server


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss in KiB on Linux")
@pytest.mark.parametrize("status", [200, 503])
def test_a_small_brotli_answer_inflating_to_512_mb_leaves_the_run_under_100_mb(
    pytester: pytest.Pytester, bomb_server: HostileServer, status: int
) -> None:
    """A 200 is read bounded; a 503 is also drained before its retry."""
    body = brotli_zeros(INFLATED_MB)
    # "Connection: close": the server hangs up after each answer, and a retry sent on the
    # kept connection before the hang-up arrives would be lost (a race of the test server).
    head = (
        f"HTTP/1.1 {status} Bomb\r\nConnection: close\r\nContent-Type: application/json\r\n"
        f"Content-Encoding: br\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    bomb_server.answer = Answer(head.encode() + body)
    test = pytester.makepyfile("def test_login(xray_token):\n    pass\n")

    done = subprocess.run(
        # A deadline a loaded machine cannot reach, so the 503's attempt ends in its retry.
        [sys.executable, "-c", MEASURE, str(test), "--tm-auth-retries=1", "--tm-auth-timeout=60"],
        capture_output=True,
        text=True,
        timeout=150,
        cwd=pytester.path,
        check=False,
    )

    assert len(body) < 2048
    assert "Xray login failed at " in done.stdout, done.stdout + done.stderr
    assert bomb_server.requests == (2 if status == 503 else 1), done.stdout[-3000:]
    peak_kib = int(done.stdout.rsplit("MAXRSS=", 1)[1])
    assert peak_kib < 100 * 1024, f"peak memory {peak_kib / 1024:.0f} MB"
