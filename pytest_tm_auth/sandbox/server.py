"""``Sandbox``: start a local stand-in for Xray, Zephyr Scale and Jira, steer it, observe it."""

from __future__ import annotations

import ipaddress
import math
import ssl
import threading
from types import TracebackType
from typing import Literal

from pytest_tm_auth.sandbox.demo import DEMO
from pytest_tm_auth.sandbox.faults import Fault
from pytest_tm_auth.sandbox.handler import SandboxHandler
from pytest_tm_auth.sandbox.httpserver import LoopbackHTTPServer
from pytest_tm_auth.sandbox.records import Recorded
from pytest_tm_auth.sandbox.routes import ROUTES
from pytest_tm_auth.sandbox.state import State, route_matches

__all__ = ["ROUTE_NAMES", "Deployment", "Sandbox"]

Deployment = Literal["cloud", "datacenter"]

ROUTE_NAMES = frozenset({route.name for route in ROUTES} | {"unknown"})
POLL_INTERVAL = 0.05  # how fast stop() is noticed by the accept loop


def _loopback(host: str) -> str:
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


class Sandbox:
    """A local HTTP(S) server answering like Xray, Zephyr Scale and Jira, with demo accounts.

    Cloud services live at the root (Xray ``/api/v2``, Jira ``/rest/api``, Zephyr ``/v2/``);
    Jira Data Center, with Xray and Zephyr Scale Data Center, lives under ``/jira``.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        token_lifetime: float = 86400.0,
    ) -> None:
        if not (token_lifetime > 0 and math.isfinite(token_lifetime)):
            raise ValueError("token_lifetime must be a positive number of seconds")
        self._host = _loopback(host)
        self._port = port
        self._ssl_context = ssl_context
        self._state = State(token_lifetime)
        self._server: LoopbackHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._lifecycle = threading.Lock()

    # lifecycle

    def start(self) -> Sandbox:
        """Bind and serve in a daemon thread; returns self so ``Sandbox().start()`` reads well."""
        with self._lifecycle:
            if self._server is not None:
                raise RuntimeError("Sandbox is already running")
            self._state.stopping.clear()
            server = LoopbackHTTPServer(
                self._host, self._port, SandboxHandler, self._state, self._ssl_context
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

    def __enter__(self) -> Sandbox:
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

    # where it is

    @property
    def url(self) -> str:
        """``http(s)://127.0.0.1:PORT`` (``[::1]`` for IPv6), without a trailing slash."""
        server = self._server
        if server is None:
            raise RuntimeError(
                "Sandbox is not running: call start() or use it as a context manager"
            )
        return server.base_url

    @property
    def jira_dc_url(self) -> str:
        """Jira Data Center's base, a context path that Xray and Zephyr Scale DC share."""
        return self.url + "/jira"

    def settings(self, deployment: Deployment = "cloud") -> dict[str, str]:
        """Setting name -> value pointing every built-in provider here with demo credentials.

        Also the ``testrail_*`` settings of the TestRail provider that ``examples/`` writes
        (the stand-in serves a small TestRail); a run that declares no such provider ignores them.
        """
        testrail = {
            "testrail_url": self.url + "/testrail",
            "testrail_user": DEMO.testrail_user,
            "testrail_api_key": DEMO.testrail_api_key,
        }
        if deployment == "cloud":
            return testrail | {
                "xray_deployment": "cloud",
                "xray_url": self.url,
                "xray_client_id": DEMO.xray_client_id,
                "xray_client_secret": DEMO.xray_client_secret,
                "zephyr_deployment": "cloud",
                "zephyr_url": self.url + "/v2/",
                "zephyr_token": DEMO.zephyr_token,
                "jira_deployment": "cloud",
                "jira_url": self.url,
                "jira_username": DEMO.jira_email,
                "jira_token": DEMO.jira_api_token,
            }
        if deployment == "datacenter":
            return testrail | {
                "xray_deployment": "datacenter",
                "zephyr_deployment": "datacenter",
                "jira_deployment": "datacenter",
                "jira_url": self.jira_dc_url,
                "jira_token": DEMO.jira_pat,
            }
        raise ValueError(f"deployment must be 'cloud' or 'datacenter', not {deployment!r}")

    def env(self, deployment: Deployment = "cloud") -> dict[str, str]:
        """:meth:`settings` as environment variables (``XRAY_CLIENT_ID``, ...)."""
        return {name.upper(): value for name, value in self.settings(deployment).items()}

    # observation

    @property
    def requests(self) -> list[Recorded]:
        """Every request since start or :meth:`reset`, oldest first (a copy)."""
        return self._state.records

    def count(self, route: str | None = None, *, status: int | None = None) -> int:
        """How many requests matched ``route`` (name or dotted prefix) and ``status``."""
        return sum(
            1
            for entry in self._state.records
            if route_matches(entry.route, route) and (status is None or entry.status == status)
        )

    @property
    def connections(self) -> int:
        """TCP connections accepted since start or :meth:`reset`."""
        return self._state.connections

    # control

    def add_faults(self, *faults: Fault, route: str | None = None) -> None:
        """Answer the next ``len(faults)`` requests (to ``route``, if given) with these in order."""
        for fault in faults:
            if not isinstance(fault, Fault):
                raise TypeError(f"expected Fault, got {type(fault).__name__}")
        if route is not None and not any(route_matches(name, route) for name in ROUTE_NAMES):
            # a misspelt route would silently never fault, and the test would prove nothing
            raise ValueError(f"no route is named {route!r} or starts with {route + '.'!r}")
        self._state.add_faults(faults, route)

    def expire_tokens(self) -> None:
        """Make every Xray token issued so far answer 401 as expired."""
        self._state.expire_tokens()

    def revoke_tokens(self) -> None:
        """Make every Xray token issued so far answer 401 as invalid, as after a revocation."""
        self._state.revoke_tokens()

    def issue_xray_token(
        self, *, lifetime: float | None = None, client_id: str = DEMO.xray_client_id
    ) -> str:
        """A token as ``/authenticate`` would issue it (negative ``lifetime``: already expired)."""
        return self._state.issue_xray_token(client_id, lifetime)

    @property
    def captcha(self) -> bool:
        """When True, Jira Data Center refuses basic logins with 403 AUTHENTICATION_DENIED."""
        return self._state.captcha

    @captcha.setter
    def captcha(self, value: bool) -> None:
        self._state.captcha = value

    def reset(self) -> None:
        """Clear records, connection count, faults, expiries, revocations and login failures."""
        self._state.reset()
