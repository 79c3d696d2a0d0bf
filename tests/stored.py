"""Helpers for the tests of ``pytest-tm-auth``: the console script as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from pytest_tm_auth.sandbox import Sandbox

#: The console script ``pip install`` wrote beside this interpreter.
SCRIPT = Path(sys.executable).with_name("pytest-tm-auth")
XRAY_SECRET = "XRAY_CLIENT_SECRET"


def command(
    *args: str, stdin: str = "", env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``printf STDIN | pytest-tm-auth ARGS``, in this process's environment and ``env``."""
    return subprocess.run(
        [str(SCRIPT), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


def output(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout + done.stderr


def without(env: dict[str, str], *names: str) -> dict[str, str]:
    return {name: value for name, value in env.items() if name not in names}


def xray_settings(sandbox: Sandbox) -> dict[str, str]:
    """The stand-in's Xray Cloud settings without the secret: what login asks for."""
    cloud = sandbox.env("cloud")
    return {
        name: value
        for name, value in cloud.items()
        if name.startswith("XRAY_") and name != XRAY_SECRET
    }


def index() -> list[dict[str, object]]:
    """The index of stored secrets, as ``login`` wrote it (``[]`` if there is none)."""
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "pytest-tm-auth" / "credentials.json"
    if not path.exists():
        return []
    entries: list[dict[str, object]] = json.loads(path.read_text(encoding="utf-8"))["entries"]
    return entries


def keyring_entries() -> list[str]:
    """What the plaintext keyring (``stored_home``) holds: ``setting@site`` per entry.

    Its file writes each name escaped (``jira_token`` as ``jira_5ftoken``): a test searching
    the file's text for a setting's name would never find it, there or not.
    """
    import configparser

    from keyrings.alt.escape import unescape  # type: ignore[import-untyped]

    path = Path(os.environ["XDG_DATA_HOME"]) / "python_keyring" / "keyring_pass.cfg"
    parser = configparser.RawConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return [unescape(name) for section in parser.sections() for name in parser.options(section)]
