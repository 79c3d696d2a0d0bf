"""Point this test's environment at a stand-in, as a CI job's variables would."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
import requests

from pytest_tm_auth.sandbox import Sandbox
from pytest_tm_auth.sandbox.server import Deployment


def export(monkeypatch: pytest.MonkeyPatch, sandbox: Sandbox, deployment: Deployment) -> Sandbox:
    """Set every variable of ``sandbox.env(deployment)`` for this test; undone after it."""
    for name, value in sandbox.env(deployment).items():
        monkeypatch.setenv(name, value)
    return sandbox


@contextlib.contextmanager
def bearer_session(token: str) -> Iterator[requests.Session]:
    """A plain ``requests`` session sending ``token``, blind to the environment's proxies
    and CA files: what a test of the stand-in's endpoints talks through."""
    with requests.Session() as session:
        session.trust_env = False
        session.headers["Authorization"] = f"Bearer {token}"
        yield session
