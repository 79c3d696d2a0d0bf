"""A local stand-in for Xray, Zephyr Scale and Jira, for offline tests and examples.

``with Sandbox() as sandbox:`` serves on loopback; ``sandbox.settings()`` points the plugin at it
with the :data:`DEMO` credentials; :class:`Fault` scripts misbehaviour; ``sandbox.requests``
tells what happened as :class:`Recorded` entries. ``sandbox.add_service(Service(...))`` serves
a service of your own too; the rest of this namespace is what its handlers need.
"""

from __future__ import annotations

from pytest_tm_auth.sandbox.demo import DEMO, DemoCredentials
from pytest_tm_auth.sandbox.faults import Fault
from pytest_tm_auth.sandbox.messages import (
    Credentials,
    Handler,
    Request,
    Response,
    html_response,
    json_response,
    same_secret,
    text_response,
)
from pytest_tm_auth.sandbox.server import RouteSpec, Sandbox, Service
from pytest_tm_auth.sandbox.state import Recorded, State

__all__ = [
    "DEMO",
    "Credentials",
    "DemoCredentials",
    "Fault",
    "Handler",
    "Recorded",
    "Request",
    "Response",
    "RouteSpec",
    "Sandbox",
    "Service",
    "State",
    "html_response",
    "json_response",
    "same_secret",
    "text_response",
]
