"""A local stand-in for Xray, Zephyr Scale and Jira, for offline tests and examples.

``with Sandbox() as sandbox:`` serves on loopback; ``sandbox.settings()`` points the plugin at it
with the :data:`DEMO` credentials; :class:`Fault` scripts misbehaviour; ``sandbox.requests``
tells what happened as :class:`Recorded` entries.
"""

from __future__ import annotations

from pytest_tm_auth.sandbox.demo import DEMO, DemoCredentials
from pytest_tm_auth.sandbox.faults import Fault
from pytest_tm_auth.sandbox.records import Recorded
from pytest_tm_auth.sandbox.server import Sandbox

__all__ = ["DEMO", "DemoCredentials", "Fault", "Recorded", "Sandbox"]
