"""Point this test's environment at a stand-in, as a CI job's variables would."""

from __future__ import annotations

import pytest

from pytest_tm_auth.sandbox import Sandbox
from pytest_tm_auth.sandbox.server import Deployment


def export(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, deployment: Deployment) -> Sandbox:
    """Set every variable of ``sandbox.env(deployment)`` for this test; undone after it."""
    for name, value in sandbox.env(deployment).items():
        monkeypatch.setenv(name, value)
    return sandbox
