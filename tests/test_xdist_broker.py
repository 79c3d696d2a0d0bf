"""The login broker under pytest-xdist: lazy, once per run, and safe when workers crash.

Each acceptance point of the broker has its test here, counted at the stand-in (or at a
silent listener), never timed. xdist needs real processes: ``runpytest_subprocess``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_tm_auth.run.xdist.channel import Server
from pytest_tm_auth.sandbox import Sandbox

USES_XRAY = """
import pytest

@pytest.mark.parametrize("number", range(8))
def test_graphql(xray_session, number):
    answer = xray_session.post("graphql", json={"query": "{ getTests(limit: 1) { total } }"})
    assert answer.status_code == 200, answer.text
"""
USES_NONE = """
import pytest

@pytest.mark.parametrize("number", range(8))
def test_plain(number):
    assert number >= 0
"""


def run_workers(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args)


class Silent:
    """A loopback listener that accepts connections and never answers; counts them."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self.connections = 0
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            self.connections += 1
            self._held.append(connection)  # held open, never answered

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for connection in self._held:
            connection.close()
        self._socket.close()


@pytest.fixture
def silent() -> Iterator[Silent]:
    server = Silent()
    yield server
    server.close()


def test_unused_providers_at_a_silent_host_are_never_contacted(
    pytester: pytest.Pytester,
    sandbox: Sandbox,
    silent: Silent,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in sandbox.env("cloud").items():
        monkeypatch.setenv(name, value.replace(sandbox.url, silent.url))
    pytester.makepyfile(test_inner=USES_NONE)

    result = run_workers(pytester, "-n", "2")

    result.assert_outcomes(passed=8)
    assert silent.connections == 0
    result.stdout.no_fnmatch_line("*tm-auth ---*")  # no provider used: no summary


@pytest.mark.parametrize(
    "args",
    [
        ["-n", "2"],
        ["--tx", "popen", "--tx", "popen", "--dist", "load"],
        ["-n", "2", "--dist", "loadgroup"],
    ],
    ids=["n2", "tx-popen", "loadgroup"],
)
def test_only_the_used_provider_is_logged_in_to_once(
    pytester: pytest.Pytester, cloud_env: Sandbox, args: list[str]
) -> None:
    pytester.makepyfile(test_inner=USES_XRAY)

    result = run_workers(pytester, *args)

    result.assert_outcomes(passed=8)
    assert cloud_env.count("xray.authenticate") == 1
    assert cloud_env.count() == 1 + cloud_env.count("xray.graphql")  # nothing else at all
    assert cloud_env.count("zephyr") == cloud_env.count("jira") == 0
    result.stdout.fnmatch_lines(["xray: authenticated in * s (expires *), shared with * worker*"])
    result.stdout.no_fnmatch_line("zephyr:*")
    result.stdout.no_fnmatch_line("jira:*")


def test_a_wrong_secret_is_tried_once_and_every_test_gets_its_line(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XRAY_CLIENT_SECRET", "demo-wrong-secret-not-real")
    pytester.makepyfile(test_inner=USES_XRAY)

    result = run_workers(pytester, "-n", "2", "-rE")

    result.assert_outcomes(errors=8)
    assert cloud_env.count("xray.authenticate") == 1
    errors = [line for line in result.outlines if line.startswith("ERROR test_inner.py")]
    assert len(errors) == 8
    assert len({line.split(" - ", 1)[1] for line in errors}) == 1  # the same one line
    assert "demo-wrong-secret-not-real" not in result.stdout.str()


def test_a_second_remembering_run_logs_in_to_nothing(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile(test_inner=USES_XRAY)

    first = run_workers(pytester, "-n", "2", "--tm-auth-remember")
    second = run_workers(pytester, "-n", "2", "--tm-auth-remember")

    first.assert_outcomes(passed=8)
    second.assert_outcomes(passed=8)
    assert cloud_env.count("xray.authenticate") == 1  # the first run's only
    second.stdout.fnmatch_lines(["xray: reused remembered token (expires *), shared with *"])


CRASH_ON_FIRST_LOGIN = """
import os

def pytest_tm_auth_authenticate(login):
    try:
        os.close(os.open("crashed", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return None  # the built-in login
    os._exit(3)  # the first worker to log in dies mid-login, holding the lease
"""


def test_a_worker_dying_mid_login_frees_its_lease(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makeconftest(CRASH_ON_FIRST_LOGIN)
    pytester.makepyfile(test_inner=USES_XRAY)

    result = run_workers(pytester, "-n", "2")

    result.assert_outcomes(passed=7, failed=1)  # the crashed test; a replacement runs the rest
    result.stdout.fnmatch_lines(["*worker 'gw*' crashed while running*"])
    assert cloud_env.count("xray.authenticate") == 1  # the next worker's, shared with all


@pytest.fixture
def short_temporary(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary directory short enough to hold a socket, as the run's ``TMPDIR``."""
    temporary = Path(tempfile.mkdtemp(prefix="tm-"))
    monkeypatch.setenv("TMPDIR", str(temporary))
    yield temporary
    shutil.rmtree(temporary, ignore_errors=True)


def test_the_broker_leaves_nothing_behind(
    pytester: pytest.Pytester, cloud_env: Sandbox, short_temporary: Path
) -> None:
    temporary = short_temporary
    pytester.makepyfile(
        test_inner=f"""
        import os

        def test_broker_is_here(xray_session):
            assert [name for name in os.listdir({str(temporary)!r}) if name.startswith("tm-auth-")]
            (directory,) = [n for n in os.listdir({str(temporary)!r}) if n.startswith("tm-auth-")]
            path = os.path.join({str(temporary)!r}, directory)
            assert oct(os.stat(path).st_mode & 0o777) == "0o700"
        """
    )

    result = run_workers(pytester, "-n", "2")

    result.assert_outcomes(passed=1)
    assert [path.name for path in Path(temporary).iterdir() if "tm-auth" in path.name] == []


def test_without_sharing_each_worker_logs_in_itself(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile(test_inner=USES_XRAY)

    result = run_workers(pytester, "-n", "2", "-p", "no:tm_auth_xdist")

    result.assert_outcomes(passed=8)
    assert 1 <= cloud_env.count("xray.authenticate") <= 2  # one per worker that ran a test
    assert cloud_env.count("zephyr") == cloud_env.count("jira") == 0


@pytest.mark.skipif(sys.platform == "win32", reason="a named pipe has no directory")
def test_a_temporary_directory_too_long_for_a_socket_puts_the_broker_in_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)  # a CI workspace's TMPDIR can be this long
    deep.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    server = Server(lambda connection: connection.close())
    try:
        assert os.path.dirname(str(server.directory)) == "/tmp"
        assert oct(os.stat(str(server.directory)).st_mode & 0o777) == "0o700"
    finally:
        server.close()
    assert not os.path.exists(str(server.directory))


@pytest.mark.skipif(sys.platform == "win32", reason="a named pipe has no directory")
def test_the_folder_of_a_killed_controller_goes_at_the_next_run(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGKILL leaves the controller no time to clean up; the next broker removes the folder
    (its process is gone, its socket refuses), and leaves a live broker's and others' alone."""
    temporary = Path(tempfile.mkdtemp(prefix="tm-"))  # short: a socket path has a limit
    monkeypatch.setenv("TMPDIR", str(temporary))
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))  # for the live broker below
    marker = temporary / "started"
    pytester.makepyfile(
        test_inner=f"""
        import pathlib, time

        def test_hangs(xray_session):
            pathlib.Path({str(marker)!r}).touch()
            time.sleep(120)
        """
    )
    killed = pytester.popen(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2"],
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        for _ in range(600):
            if marker.exists() or killed.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), "the run never reached its test"
    finally:
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait(timeout=60)
    (left,) = [p.name for p in temporary.iterdir() if p.name.startswith("tm-auth-")]
    live = Server(lambda connection: connection.close())
    other = temporary / "tm-auth-notes"
    other.mkdir()
    try:
        assert os.path.dirname(str(live.directory)) == str(temporary)
        pytester.makepyfile(test_inner=USES_XRAY)
        assert run_workers(pytester, "-n", "2").ret == 0
        remaining = sorted(p.name for p in temporary.iterdir() if p.name.startswith("tm-auth-"))
        assert left not in remaining
        assert remaining == sorted([os.path.basename(str(live.directory)), other.name])
    finally:
        live.close()
        shutil.rmtree(temporary, ignore_errors=True)
