"""The stand-in as a server: bind on loopback only, serve in a daemon thread, stop cleanly.

Kept apart from :class:`~pytest_tm_auth.sandbox.Sandbox` so that class holds only what
tests steer and observe.
"""

from __future__ import annotations

import ipaddress
import ssl
import threading
from types import TracebackType
from typing import Any, Generic, TypeVar

from pytest_tm_auth.sandbox.handler import LoopbackHTTPServer, SandboxHandler
from pytest_tm_auth.sandbox.state import State
from pytest_tm_auth.sandbox.table import AddedT, RouteTable

__all__ = ["POLL_INTERVAL", "LoopbackServing", "loopback"]

POLL_INTERVAL = 0.05  # how fast stop() is noticed by the accept loop

_Self = TypeVar("_Self", bound="LoopbackServing[Any]")


def loopback(host: str) -> str:
    """The host as an address literal, refusing anything that is not loopback."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise ValueError(f"Sandbox host must be a loopback address, not {host!r}") from None
    if not address.is_loopback:
        raise ValueError(f"Sandbox listens on loopback only, not {host!r}")
    return str(address)


class LoopbackServing(Generic[AddedT]):
    """One loopback HTTP(S) server over a state and a route table, started and stopped at will.

    Both outlive the server, so services added before :meth:`start` are served from the first
    request, and those added while running from the next one.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        ssl_context: ssl.SSLContext | None,
        state: State,
        routes: RouteTable[AddedT],
    ) -> None:
        self._host = loopback(host)
        self._port = port
        self._ssl_context = ssl_context
        self._state = state
        self._routes = routes
        self._server: LoopbackHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()

    def start(self: _Self) -> _Self:
        """Bind and serve in a daemon thread; returns self so ``Sandbox().start()`` reads well."""
        with self._lifecycle:
            if self._server is not None:
                raise RuntimeError("Sandbox is already running")
            self._state.stopping.clear()
            server = LoopbackHTTPServer(
                self._host,
                self._port,
                SandboxHandler,
                self._state,
                routes=self._routes,
                ssl_context=self._ssl_context,
            )
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": POLL_INTERVAL},
                name=f"tm-auth-sandbox:{server.server_address[1]}",
                daemon=True,
            )
            thread.start()
            self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving, hang up on open connections and release the port (safe to repeat)."""
        with self._lifecycle:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None:
            return
        self._state.stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self: _Self) -> _Self:
        return self if self.running else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"<Sandbox {where}>"

    @property
    def url(self) -> str:
        """``http(s)://127.0.0.1:PORT`` (``[::1]`` for IPv6), without a trailing slash."""
        server = self._server
        if server is None:
            raise RuntimeError(
                "Sandbox is not running: call start() or use it as a context manager"
            )
        return server.base_url
