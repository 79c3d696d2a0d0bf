"""HTTP/1.1 as the stand-in speaks it: a threaded server that knows each TCP connection, so
tests can count and close them, and per connection a handler that turns requests into route
calls: faults first, then the route, then the record.

Keep-alive works because every answer carries ``Content-Length`` and every request body is
read in full, even when the answer ignores it.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pytest_tm_auth.sandbox.faults import Fault
from pytest_tm_auth.sandbox.messages import (
    Request,
    Response,
    client_name,
    json_response,
    parse_authorization,
    text_response,
)
from pytest_tm_auth.sandbox.state import RECORDED_HEADERS, Recorded, State
from pytest_tm_auth.sandbox.table import Resolution, RouteTable, not_found

__all__ = ["LoopbackHTTPServer", "SandboxHandler"]

MAX_BODY = 16 * 1024 * 1024
HANDSHAKE_TIMEOUT = 10.0
_OWN_HEADERS = frozenset({"content-length", "content-type", "transfer-encoding", "connection"})


class _BadBody(Exception):
    """The request body cannot be read; the connection cannot be reused."""


class LoopbackHTTPServer(ThreadingHTTPServer):
    """One daemon thread per connection; TLS handshakes happen there, not in the accept loop."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 64

    def __init__(
        self,
        host: str,
        port: int,
        handler: type[BaseHTTPRequestHandler],
        state: State,
        *,
        routes: RouteTable[Any],
        ssl_context: ssl.SSLContext | None,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.state = state
        self.routes = routes
        self.ssl_context = ssl_context
        self._open: dict[socket.socket, int] = {}
        self._open_lock = threading.Lock()
        super().__init__((host, port), handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind calls getfqdn(), a reverse DNS lookup that can stall for seconds.
        socketserver.TCPServer.server_bind(self)
        host, port = str(self.server_address[0]), int(self.server_address[1])
        self.server_name, self.server_port = host, port
        scheme = "https" if self.ssl_context is not None else "http"
        shown = f"[{host}]" if ":" in host else host
        self.base_url = f"{scheme}://{shown}:{port}"

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = self.socket.accept()
        if self.ssl_context is not None:
            sock = self.ssl_context.wrap_socket(
                sock, server_side=True, do_handshake_on_connect=False
            )
        connection = self.state.new_connection()
        with self._open_lock:
            self._open[sock] = connection
        return sock, address

    def connection_id(self, sock: socket.socket) -> int:
        with self._open_lock:
            return self._open.get(sock, 0)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.pop(request, None)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet: a client that hangs up or fails the TLS handshake is not a server bug."""

    def close_connections(self) -> None:
        """Hang up on every open connection, so idle keep-alive threads end with the server."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class SandboxHandler(BaseHTTPRequestHandler):
    """One instance per TCP connection; ``handle`` loops over its keep-alive requests."""

    protocol_version = "HTTP/1.1"
    server_version = "pytest-tm-auth-sandbox"
    disable_nagle_algorithm = True  # headers and body go out as two writes; no 40 ms stalls
    server: LoopbackHTTPServer

    def version_string(self) -> str:
        return self.server_version

    def setup(self) -> None:
        connection = self.request
        if isinstance(connection, ssl.SSLSocket):
            connection.settimeout(HANDSHAKE_TIMEOUT)
            connection.do_handshake()
            connection.settimeout(None)
        super().setup()

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: request lines can carry query strings, and tests read the records instead."""

    def _serve(self) -> None:
        arrived = time.monotonic()
        state = self.server.state
        path, _, query = self.path.partition("?")
        credentials = parse_authorization(self.headers.get("Authorization"))
        try:
            body = self._read_body()
        except _BadBody as exc:
            self.close_connection = True
            self._send(text_response(400, f"Bad Request: {exc}"))
            return
        resolution = self.server.routes.resolve(self.command, path, query)
        fault = state.take_fault(resolution.name)
        if fault is not None and fault.delay > 0 and state.stopping.wait(fault.delay):
            fault = Fault.dropped()  # the sandbox is stopping: hang up rather than answer late
        response: Response | None = None
        if fault is None or fault.passthrough or fault.drop_after:
            response = self._answer(
                resolution,
                Request(
                    method=self.command,
                    path=path,
                    query=query,
                    headers={name.lower(): value for name, value in reversed(self.headers.items())},
                    body=body,
                    base_url=self.server.base_url,
                ),
            )
        elif not fault.drop:
            headers = dict(fault.headers)
            if fault.gzip:
                headers["Content-Encoding"] = "gzip"
            response = Response(fault.status, fault.payload, fault.content_type, headers)
        lost = fault is not None and fault.drop_after  # handled, then the answer is lost
        state.record(
            Recorded(
                method=self.command,
                path=path,
                query=query,
                route=resolution.name,
                status=0 if response is None or lost else response.status,
                auth=credentials.scheme,
                user=(response.user if response is not None else None) or credentials.user,
                connection=self.server.connection_id(self.connection),
                at=arrived,
                headers={n: v for n in RECORDED_HEADERS if (v := self.headers.get(n)) is not None},
                client=client_name(credentials),
                body=body if state.keep_bodies else b"",
            )
        )
        if response is None or lost:
            self._drop()
        elif fault is not None and fault.raw and not fault.passthrough:
            self.close_connection = True
            send_raw(self.connection, self.wfile, self.server.state.stopping, response, fault)
        else:
            self._send(response)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

    def _answer(self, resolution: Resolution, request: Request) -> Response:
        verdict = self.server.state.rates.judge(resolution.name)
        if verdict is not None and verdict.refused is not None:
            return json_response(429, {"error": verdict.refused}, verdict.headers)
        response = _route(resolution, request, self.server.state)
        response.headers.update(verdict.headers if verdict is not None else {})
        return response

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked()
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            raise _BadBody("invalid Content-Length") from None
        if not 0 <= length <= MAX_BODY:
            raise _BadBody("Content-Length out of range")
        body = self.rfile.read(length)
        if len(body) != length:
            raise _BadBody("body shorter than Content-Length")
        return body

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise _BadBody("invalid chunk size") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                raise _BadBody("body too large")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            if name.lower() not in _OWN_HEADERS:
                self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
        self.wfile.flush()

    def _drop(self) -> None:
        """Hang up without a word, as a crashed backend or an idle-timeout proxy would."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _route(resolution: Resolution, request: Request, state: State) -> Response:
    """The route's answer (404 or 405 if none fits); a rate limit was checked before."""
    if resolution.route is None:
        if resolution.allowed:
            allow = ", ".join(sorted(set(resolution.allowed)))
            return text_response(405, "Method Not Allowed", {"Allow": allow})
        return not_found()
    try:
        return resolution.route.handler(request, state, resolution.params)
    except Exception:  # a bug in a handler must still produce an answer
        return text_response(500, "Internal Server Error")


def send_raw(
    connection: socket.socket,
    wfile: Any,
    stopping: threading.Event,
    response: Response,
    fault: Fault,
) -> None:
    """Write an answer by hand: a byte at a time (``drip``), or with a false length; then
    hang up."""
    length = len(response.body) if fault.length is None else fault.length
    lines = [f"HTTP/1.1 {response.status} Fault", f"Content-Type: {response.content_type}"]
    lines += [f"Content-Length: {length}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in response.headers.items()]
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + response.body
    with contextlib.suppress(OSError):
        if not fault.drip:
            wfile.write(data)
            wfile.flush()
        for index in range(len(data) if fault.drip else 0):
            if stopping.wait(fault.drip):
                break
            wfile.write(data[index : index + 1])
            wfile.flush()
        connection.shutdown(socket.SHUT_RDWR)
