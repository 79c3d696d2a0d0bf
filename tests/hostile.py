"""A loopback server that answers whatever bytes it is told to, paced as it is told to.

The stand-in speaks HTTP correctly and misbehaves in named ways (``Fault``); this one
sends raw bytes, so a test can draw answers no HTTP server library would write: a status
line that is not HTTP, headers with control bytes, a length that lies, a gzip body that is
not gzip, a drip. Loopback only; every wait is bounded.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Answer:
    """What the server sends: ``data`` in ``chunk``-byte pieces, ``pause`` seconds apart."""

    data: bytes
    chunk: int = 1 << 16
    pause: float = 0.0
    #: Hang up after sending (otherwise wait for the client to close).
    close: bool = True


class HostileServer:
    """Serves :attr:`answer` to every request; counts the requests it read."""

    def __init__(self) -> None:
        self.answer = Answer(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
        self.requests = 0
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._accept, name="hostile", daemon=True)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):
            connection.settimeout(5)
            while _read_request(connection):
                self.requests += 1
                answer = self.answer
                for piece in _pieces(answer):
                    if self._stop.wait(answer.pause):
                        return
                    connection.sendall(piece)
                if answer.close:
                    connection.shutdown(socket.SHUT_RDWR)
                    return


def _pieces(answer: Answer) -> Iterator[bytes]:
    for start in range(0, len(answer.data), max(1, answer.chunk)):
        yield answer.data[start : start + max(1, answer.chunk)]


def _read_request(connection: socket.socket) -> bool:
    """Read one request (headers, and a body of its Content-Length); False at EOF."""
    received = b""
    while b"\r\n\r\n" not in received:
        data = connection.recv(65536)
        if not data or len(received) > 1 << 20:
            return False
        received += data
    head, _, body = received.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip() or 0)
    while len(body) < min(length, 1 << 20):
        data = connection.recv(65536)
        if not data:
            return False
        body += data
    return True


@contextlib.contextmanager
def serving_xray(
    monkeypatch: pytest.MonkeyPatch, secret: str = "demo-hostile-secret-not-real"
) -> Iterator[HostileServer]:
    """A hostile server that the run's Xray provider logs in to."""
    with HostileServer() as server:
        monkeypatch.setenv("XRAY_URL", server.url)
        monkeypatch.setenv("XRAY_CLIENT_ID", "demo-hostile-client-id")
        monkeypatch.setenv("XRAY_CLIENT_SECRET", secret)
        yield server
