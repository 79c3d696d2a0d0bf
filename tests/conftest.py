"""Shared fixtures: a clean environment, the stand-in server, and pytester helpers."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

# hypothesis and requests are imported here, before any pytester run: in-process runs drop
# the modules they import, so a second run would import them again: requests then mixes two
# http.cookiejar modules ("You can only merge into CookieJar"), and hypothesis (imported by
# its plugin's terminal summary) is assertion-rewritten again, about half a second per run.
import hypothesis.internal.observability  # noqa: F401
import pytest
import requests  # noqa: F401

from tests.environment import export

# keyring (--tm-auth-remember) imports the importlib_metadata backport, which switches off
# the standard library's distribution finder and installs its own; a run that dropped the
# backport again would leave every later pytest unable to find any plugin or version.
with contextlib.suppress(ImportError):
    import keyring  # noqa: F401

from pytest_tm_auth.sandbox import Sandbox

#: Variable prefixes the plugin reads; a developer's real credentials must never reach a test.
OWN_PREFIXES = ("XRAY_", "ZEPHYR_", "JIRA_", "TM_AUTH_", "TESTRAIL_")
FOREIGN = ("PYTEST_ADDOPTS", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "NETRC")
#: keyring's "no backend": with keyrings.alt installed (the test extra), keyring would pick its
#: plaintext file in the real home; a test that wants a keyring chooses one (``stored_home``).
NO_KEYRING = "keyring.backends.fail.Keyring"
PLAINTEXT_KEYRING = "keyrings.alt.file.PlaintextKeyring"


@pytest.fixture(scope="session")
def bytecode_cache(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Where the pytest subprocesses of the tests keep compiled modules, out of the tree."""
    return str(tmp_path_factory.mktemp("pycache"))


@pytest.fixture(autouse=True)
def clean_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory, bytecode_cache: str
) -> None:
    """Remove credential variables and options inherited from the developer's shell or CI,
    and keep the index of stored secrets and any keyring file out of the developer's home.

    The subprocesses the tests start (pytester, xdist workers) compile each module once and
    reuse it, even where the environment says not to write bytecode (as CI machines may):
    otherwise every one of them recompiles the package and pays pytest's assertion rewriting
    again.
    """
    for name in list(os.environ):
        if name.startswith(OWN_PREFIXES) or name in FOREIGN:
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    # Where pytest-tm-auth login keeps its index, and where keyrings.alt keeps its file.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data")))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", NO_KEYRING)
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    monkeypatch.setenv("PYTHONPYCACHEPREFIX", bytecode_cache)


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Sandbox]:
    with Sandbox() as server:
        yield server


@pytest.fixture(scope="session")
def testrail_server() -> Iterator[Sandbox]:
    """A stand-in of its own that also serves the TestRail recipe's stand-in service."""
    from examples.recipes.testrail import standin

    with Sandbox() as server:
        server.add_service(standin.TESTRAIL)
        yield server


@pytest.fixture
def sandbox(sandbox_server: Sandbox) -> Sandbox:
    """The stand-in, with its counters, faults and token state reset for this test."""
    sandbox_server.reset()
    return sandbox_server


@pytest.fixture
def cloud_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """Every built-in provider configured for Cloud against the stand-in, through env vars."""
    export(monkeypatch, sandbox, "cloud")
    return sandbox


@pytest.fixture
def datacenter_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """Every built-in provider configured for Data Center against the stand-in's /jira."""
    export(monkeypatch, sandbox, "datacenter")
    return sandbox


@pytest.fixture
def stored_home(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real keyring backend for ``pytest-tm-auth login`` (keyrings.alt's plaintext file, in
    ``$XDG_DATA_HOME``) and a home of its own; the index lands in ``$XDG_CONFIG_HOME``."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", PLAINTEXT_KEYRING)
    return home
