"""The leak matrix for OAuth 2.0 client credentials: the client secret and the access token
the endpoint issued, touched every way a test can, under every reporter and output mode.

Built like :mod:`tests.test_leak_matrix` (its reporters, modes and forms of a secret), for
the Jira settings a service account (Cloud) or an OAuth client (Data Center) uses.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_tm_auth.sandbox import DEMO, Sandbox
from tests.environment import export
from tests.test_leak_matrix import MODES, REPORTERS, forms

CONFTEST = """
import os

import pytest


@pytest.fixture
def secrets(tm_auth, jira_session):
    token = str(tm_auth.token("jira").value)
    with open(os.environ["LEAK_TOKEN_FILE"], "w") as kept:  # outside the searched folder
        kept.write(token)
    values = [token, os.environ["JIRA_CLIENT_SECRET"]]
    yield values
    for value in values:
        print("teardown", value)
"""

SUITE = """
import logging
import sys
import warnings

import pytest

log = logging.getLogger("suite")


def test_prints_and_logs(secrets, jira_session):
    assert jira_session.get("myself").status_code == 200
    for value in secrets:
        print("stdout", value)
        print("stderr", value, file=sys.stderr)
        log.debug("debug %s", value)
        log.warning("warning %s", value)
        warnings.warn("warned " + value)
    assert False, "failed"


def test_asserts(secrets):
    assert secrets[0] == "another value"


def test_raises(secrets):
    raise ValueError("refused: " + " ".join(secrets))


def test_skips(secrets):
    pytest.skip("skipping with " + secrets[1])


def test_records(secrets, record_property, record_xml_attribute):
    record_property("token", secrets[0])
    record_xml_attribute("secret", secrets[1])
"""

FLOW_SECRETS = {
    "cloud-oauth": DEMO.cloud_client_secret,
    "datacenter-oauth": DEMO.dc_client_secret,
}


def leaks(result: pytest.RunResult, root: Path, token: str, secret: str) -> list[str]:
    places = {"stdout": result.stdout.str(), "stderr": result.stderr.str()}
    for path in root.rglob("*"):
        if path.is_file():
            places[str(path.relative_to(root))] = path.read_bytes().decode("utf-8", "replace")
    found = []
    for where, text in places.items():
        for name, value in {"client secret": secret, "access token": token}.items():
            for form, shown in forms(value).items():
                if shown in text:
                    found.append(f"{name} ({form}) in {where}")
    return sorted(set(found))


def run_suite(
    pytester: pytest.Pytester,
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    flow: str,
    *args: str,
) -> tuple[pytest.RunResult, str]:
    export(monkeypatch, sandbox, flow)  # type: ignore[arg-type]
    token_file = pytester.path.parent / f"{pytester.path.name}-token"
    monkeypatch.setenv("LEAK_TOKEN_FILE", str(token_file))
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    (pytester.path / "out").mkdir()
    result = pytester.runpytest_subprocess(*REPORTERS, *args)
    return result, token_file.read_text(encoding="utf-8")


CASES = [("cloud-oauth", mode) for mode in MODES] + [("datacenter-oauth", "verbose")]


@pytest.mark.parametrize(("flow", "mode"), CASES)
def test_no_client_secret_or_access_token_in_any_output(
    pytester: pytest.Pytester,
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    flow: str,
    mode: str,
) -> None:
    result, token = run_suite(pytester, sandbox, monkeypatch, flow, *MODES[mode])

    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 3, result.stdout.str()  # the suite really ran
    assert token.count(".") == 2  # an issued access token, so the search looks for something
    assert leaks(result, pytester.path, token, FLOW_SECRETS[flow]) == []


def test_the_oauth_matrix_finds_the_leaks_when_scrubbing_is_off(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, token = run_suite(
        pytester, sandbox, monkeypatch, "cloud-oauth", "-p", "no:tm_auth_redaction"
    )
    found = leaks(result, pytester.path, token, DEMO.cloud_client_secret)
    assert any(place.startswith("client secret") for place in found), found
    assert any(place.startswith("access token") for place in found), found
