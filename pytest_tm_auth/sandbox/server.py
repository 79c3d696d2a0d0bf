"""``Sandbox``: start a local stand-in for Xray, Zephyr Scale and Jira, steer it, observe it.

A :class:`Service` of your own is plain data that a recipe defines at import time and hands
to :meth:`Sandbox.add_service`. Its routes are checked when it is made, so a typo fails
where it was written, not as a silent 404 later.
"""

from __future__ import annotations

import math
import re
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from pytest_tm_auth.sandbox.demo import (
    DEMO,
    FLOWS,
    JIRA_DC_PATH,
    Deployment,
    demo_settings,
    zephyr_token,
)
from pytest_tm_auth.sandbox.faults import Fault, Limit
from pytest_tm_auth.sandbox.lifecycle import LoopbackServing
from pytest_tm_auth.sandbox.messages import Handler
from pytest_tm_auth.sandbox.routes import ROUTES
from pytest_tm_auth.sandbox.state import Recorded, State, route_matches
from pytest_tm_auth.sandbox.table import METHODS, Route, RouteTable

__all__ = ["Deployment", "RouteSpec", "Sandbox", "Service"]

RouteSpec: TypeAlias = tuple[str, str, str, Handler]
"""``(name, method, path_regex, handler)``, as a :class:`Service` lists its routes."""

_SERVICE_NAME = re.compile(r"[a-z][a-z0-9_]*")
_ROUTE_TAIL = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)*")


def path_only(path: str, query: str) -> str:
    """The default target: routes match the path alone, as the built-in ones do."""
    return path


def no_settings(sandbox: Sandbox) -> Mapping[str, str]:
    return {}


@dataclass(frozen=True)
class Service:
    """Routes the stand-in serves under the dotted prefix ``name``, and the settings they need.

    ``routes`` are ``(name, method, path_regex, handler)``. Each name sits under the prefix
    (``notes.list``), so ``count("notes")`` and ``add_faults(route="notes")`` reach the whole
    service. The regex must match all of ``target(path, query)`` (the path, unless the
    service's API travels in the query string); its named groups are the handler's
    ``params``. Handlers take ``(Request, State, params)`` and return a ``Response``, like
    the built-in ones. ``settings(sandbox)`` gives what points its provider at a running
    stand-in, with obviously fake demo credentials.
    """

    name: str
    routes: Sequence[RouteSpec]
    target: Callable[[str, str], str] = path_only
    settings: Callable[[Sandbox], Mapping[str, str]] = no_settings
    compiled: tuple[Route, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not _SERVICE_NAME.fullmatch(self.name):
            raise ValueError(
                f"Service name must be lowercase letters, digits or _ (a route prefix), "
                f"not {self.name!r}"
            )
        if not self.routes:
            raise ValueError(f"Service {self.name!r} has no routes")
        compiled = tuple(self._compile(spec) for spec in self.routes)
        names = [route.name for route in compiled]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise ValueError(f"Service {self.name!r} names more than one route {twice[0]!r}")
        object.__setattr__(self, "routes", tuple(self.routes))
        object.__setattr__(self, "compiled", compiled)

    def _compile(self, spec: RouteSpec) -> Route:
        name, method, pattern, handler = spec
        prefix = self.name + "."
        if not (name.startswith(prefix) and _ROUTE_TAIL.fullmatch(name[len(prefix) :])):
            raise ValueError(
                f"Service {self.name!r}: route name {name!r} must be dotted under its prefix, "
                f"like {prefix + 'case'!r}"
            )
        if method not in METHODS:
            raise ValueError(
                f"Service {self.name!r}: route {name!r} has method {method!r}, "
                f"not one of {', '.join(METHODS)}"
            )
        if not callable(handler):
            raise TypeError(f"Service {self.name!r}: route {name!r} has no callable handler")
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ValueError(
                f"Service {self.name!r}: route {name!r} has an invalid path regex: {exc}"
            ) from None
        return Route(name, method, compiled, handler)


class Observing:
    """What a test reads of a running stand-in: its requests, connections, and what landed."""

    _state: State

    @property
    def requests(self) -> list[Recorded]:
        """Every request since start or :meth:`reset`, oldest first (a copy)."""
        return self._state.records

    def keep_bodies(self) -> None:
        """From now until :meth:`reset`, each of :attr:`requests` keeps its body: a test
        searches what was sent (a login's body carries its secret)."""
        self._state.keep_bodies = True

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

    def test_executions(self) -> list[dict[str, Any]]:
        """Xray Test Executions created, or imported into, since start or ``reset``, by key.

        Each is plain data: ``key``, ``id``, ``summary``, ``project``, ``labels``,
        ``deployment``, ``created`` (False for a seeded one that received runs),
        ``environments``, ``test_plan``, ``version``, ``revision``, and ``runs``: per test
        key its ``id``, ``status``, ``comment``, ``start``, ``finish``, ``defects``,
        ``iterations`` (``name``, ``parameters``, ``status``) and ``evidence``
        (``filename``, decoded ``size``, ``content_type``).
        """
        return self._state.created.xray.snapshot()

    def zephyr_cycles(self) -> list[dict[str, Any]]:
        """Zephyr Scale Cloud test cycles created, or given executions, since start or
        ``reset``, by id: ``key``, ``id``, ``name``, ``project``, ``deployment``, ``created``,
        ``origin`` (the route that made it: ``testcycles``, ``custom``, ``junit``; empty for
        a seeded one) and ``executions``: per test case key, every execution that landed
        (``id``, ``status``, ``environment``, ``comment``, ``execution_time`` in ms, ``ended``,
        ``source``, ``attachments``: ``filename``, ``size``, ``content_type``)."""
        return self._state.created.zephyr.snapshot("cloud")

    def zephyr_runs(self) -> list[dict[str, Any]]:
        """Zephyr Scale Data Center test runs created since start or ``reset``, in the shape
        of :meth:`zephyr_cycles` (``origin``: ``testrun`` or ``automation``)."""
        return self._state.created.zephyr.snapshot("datacenter")

    def clients(self, route: str | None = None, *, status: int | None = None) -> dict[str, int]:
        """How many requests each client sent (to ``route``, answered ``status``): by
        ``basic:user``, ``bearer:`` and a token's short fingerprint, or ``anonymous``."""
        spent: dict[str, int] = {}
        for entry in self._state.records:
            if route_matches(entry.route, route) and (status is None or entry.status == status):
                spent[entry.client] = spent.get(entry.client, 0) + 1
        return spent


class Limiting:
    """Rate limits a test sets on a running stand-in."""

    _state: State
    _routes: RouteTable[Service]

    def limit_rate(
        self,
        service: str,
        *,
        requests: int,
        seconds: float,
        advertise: bool = False,
        retry_after: bool = True,
    ) -> None:
        """Answer ``service``'s routes (a name or dotted prefix) 429 beyond ``requests`` per
        ``seconds``; ``retry_after`` adds ``Retry-After`` to a 429, ``advertise`` the
        ``X-RateLimit-*`` headers to every answer. ``reset()`` lifts every limit."""
        if not any(route_matches(n, service) for n in self._routes.names):
            raise ValueError(f"no route is named {service!r} or starts with {service + '.'!r}")
        self._state.rates.set(Limit(service, requests, seconds, advertise, retry_after))


class Sandbox(Observing, Limiting, LoopbackServing[Service]):
    """A local HTTP(S) server answering like Xray, Zephyr Scale and Jira, with demo accounts.

    Cloud services live at the root (Xray ``/api/v2``, Jira ``/rest/api``, Zephyr ``/v2/``);
    Jira Data Center, with Xray and Zephyr Scale Data Center, lives under ``/jira``.
    :meth:`add_service` serves a service of your own next to them.
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
        super().__init__(
            host=host,
            port=port,
            ssl_context=ssl_context,
            state=State(token_lifetime),
            routes=RouteTable(ROUTES),
        )

    # where it is

    @property
    def jira_dc_url(self) -> str:
        """Jira Data Center's base, a context path that Xray and Zephyr Scale DC share."""
        return self.url + JIRA_DC_PATH

    def settings(self, deployment: Deployment = "cloud") -> dict[str, str]:
        """Setting name -> value pointing every provider here with demo credentials.

        The built-in providers', then each added service's: a run that declares no provider
        for a service ignores its settings.
        """
        built_in = demo_settings(self.url, deployment)
        reserved = set().union(*(demo_settings(self.url, flow) for flow in FLOWS))
        added: dict[str, str] = {}
        for service in self._routes.services:
            for name, value in service.settings(self).items():
                if name in reserved or name in added:
                    # one value would silently lose, and a provider would point at the wrong place
                    raise ValueError(
                        f"service {service.name!r} sets {name!r}, which the stand-in or "
                        "another service already sets"
                    )
                added[name] = value
        return added | built_in

    def env(self, deployment: Deployment = "cloud") -> dict[str, str]:
        """:meth:`settings` as environment variables (``XRAY_CLIENT_ID``, ...)."""
        return {name.upper(): value for name, value in self.settings(deployment).items()}

    # control

    def add_faults(self, *faults: Fault, route: str | None = None) -> None:
        """Answer the next ``len(faults)`` requests (to ``route``, if given) with these in order."""
        for fault in faults:
            if not isinstance(fault, Fault):
                raise TypeError(f"expected Fault, got {type(fault).__name__}")
        if route is not None and not any(route_matches(n, route) for n in self._routes.names):
            # a misspelt route would silently never fault, and the test would prove nothing
            raise ValueError(f"no route is named {route!r} or starts with {route + '.'!r}")
        self._state.add_faults(faults, route)

    def add_service(self, service: Service) -> None:
        """Serve ``service`` too, from the next request on, whether running or not yet started.

        Its route names then count and fault like the built-in ones, and :meth:`settings`
        and :meth:`env` include its settings. A service whose prefix is taken (by a built-in
        service, another added one, or ``unknown``) is refused with ``ValueError``.
        """
        if not isinstance(service, Service):
            raise TypeError(f"expected Service, got {type(service).__name__}")
        self._routes.add(service)

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

    def issue_zephyr_token(self, *, lifetime: float) -> str:
        """A Zephyr Scale Cloud API token the stand-in accepts until ``exp = now + lifetime``."""
        return zephyr_token(lifetime)

    @property
    def oauth_lifetime(self) -> int:
        """The ``expires_in`` of the OAuth 2.0 access tokens it issues (default 3600 s)."""
        return self._state.oauth_lifetime

    @oauth_lifetime.setter
    def oauth_lifetime(self, seconds: int) -> None:
        if seconds <= 0:
            raise ValueError("oauth_lifetime must be a positive number of seconds")
        self._state.oauth_lifetime = int(seconds)

    @property
    def captcha(self) -> bool:
        """When True, Jira Data Center refuses basic logins with 403 AUTHENTICATION_DENIED."""
        return self._state.captcha

    @captcha.setter
    def captcha(self, value: bool) -> None:
        self._state.captcha = value

    @property
    def single_use_tokens(self) -> bool:
        """When True, Xray accepts each token once and refuses it after (a renewal loop)."""
        return self._state.single_use_tokens

    @single_use_tokens.setter
    def single_use_tokens(self, value: bool) -> None:
        self._state.single_use_tokens = value

    def reset(self) -> None:
        """Clear records, connection count, faults, expiries, revocations, login failures,
        what requests created and rate limits."""
        self._state.reset()
