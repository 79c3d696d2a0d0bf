"""A threaded HTTP(S) server that knows each TCP connection, so tests can count and close them."""

from __future__ import annotations

import contextlib
import socket
import socketserver
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pytest_tm_auth.sandbox.state import State
from pytest_tm_auth.sandbox.table import RouteTable

__all__ = ["LoopbackHTTPServer"]


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
