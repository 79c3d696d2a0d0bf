"""The leak matrix: no secret and no issued token in any output, under any reporting option.

A failing suite and a passing suite run under each option that makes pytest print more
(``-vv``, ``-l``, ``--tb=long``, ``--setup-show``, ``-rA``, DEBUG logs with urllib3's
debug logging, live logs) and under all of them at once, always writing JUnit XML and a
DEBUG log file. The suites put secrets everywhere: in assertion messages and diffs, in
locals of frames inside requests and urllib3, in printed and logged text, in a skip
reason, in a server's error body quoted by a failed login, and in a token renewed mid-run.
Every output is then searched for every secret, every issued token (collected through the
``pytest_tm_auth_authenticated`` hook) and any piece of a token's signature.
"""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pytest_tm_auth.core.provider import Provider
from pytest_tm_auth.core.token import Token
from pytest_tm_auth.sandbox import DEMO, Fault, Sandbox

FAILING = """
import logging
import sys

import pytest
from pytest_tm_auth.sandbox import Fault

log = logging.getLogger("suite")


def test_fixture_value_in_the_assertion(xray_token):
    assert False, f"the token is {xray_token}"


def test_plain_copy_compared(xray_token):
    plain = str(xray_token)
    assert plain == "not-the-token"


def test_plain_copy_shortened_in_the_explanation(xray_token):
    plain = str(xray_token)
    assert plain.startswith("not-the-token")


def test_headers_in_locals(zephyr_session, xray_session):
    sent = dict(zephyr_session.get("testcases/DEMO-T1").request.headers)
    also = dict(xray_session.post("graphql", json={"query": "{}"}).request.headers)
    assert sent == also


def test_printed_and_logged(xray_token):
    print("stdout:", xray_token)
    print("stderr:", xray_token, file=sys.stderr)
    log.debug("debug: %s", xray_token)
    log.error("error: %s", str(xray_token))
    assert False


def test_traceback_through_requests(xray_session, stand_in):
    stand_in.add_faults(Fault.dropped(), route="xray.graphql")
    xray_session.post("graphql", json={"query": "{}"})


def test_skip_reason(xray_token):
    pytest.skip(f"skipped holding {xray_token}")


def test_login_refused_with_an_echo(jira_session):
    pass
"""

PASSING = """
import logging

log = logging.getLogger("suite")


def test_all_services(xray_token, xray_session, zephyr_session, jira_session):
    print("using", xray_token)
    log.info("calling with %s", dict(jira_session.get("myself").request.headers))
    assert xray_session.post("graphql", json={"query": "{}"}).ok
    assert zephyr_session.get("testcases/DEMO-T1").ok


def test_renewed_mid_run(xray_session, stand_in):
    stand_in.revoke_tokens()
    answer = xray_session.post("graphql", json={"query": "{}"})
    assert answer.ok
    print("sent", answer.request.headers["Authorization"])
    log.warning("renewed: %s", str(answer.request.headers["Authorization"]))
"""

OPTIONS = {
    "vv": ["-vv"],
    "showlocals": ["-l"],
    "tb-long": ["--tb=long"],
    "setup-show": ["--setup-show"],
    "rA": ["-rA"],
    "debug-logs": ["--log-level=DEBUG"],
    "live-logs": ["--log-cli-level=DEBUG"],
    "all": [
        "-vv",
        "--showlocals",
        "--tb=long",
        "--setup-show",
        "-rA",
        "--log-level=DEBUG",
        "--log-cli-level=DEBUG",
    ],
}

#: A JWT's signature is its secret part: no piece of it this long may show anywhere.
PIECE = 12


class Observer:
    """Plugin for the inner run: the stand-in as a fixture, and every token issued."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.issued: list[tuple[str, str]] = []

    @pytest.fixture
    def stand_in(self) -> Sandbox:
        return self.sandbox

    def pytest_tm_auth_authenticated(self, provider: Provider, token: Token) -> None:
        self.issued.append((provider.name, str(token.value)))


def basic_pair() -> str:
    return base64.b64encode(f"{DEMO.jira_email}:{DEMO.jira_api_token}".encode()).decode()


def known_secrets(issued: list[tuple[str, str]]) -> dict[str, str]:
    """Name -> value, so that a failing assertion names the leak without printing it."""
    secrets = {
        "xray client secret": DEMO.xray_client_secret,
        "zephyr token": DEMO.zephyr_token,
        "jira api token": DEMO.jira_api_token,
        "jira basic credentials": basic_pair(),
    }
    secrets.update({f"token {n} ({name})": value for n, (name, value) in enumerate(issued)})
    for name, value in list(secrets.items()):
        if value.count(".") == 2:  # a JWT: its signature must not show even in part
            signature = value.rsplit(".", 1)[1]
            for start in range(len(signature) - PIECE + 1):
                secrets[f"piece {start} of the {name}'s signature"] = signature[
                    start : start + PIECE
                ]
    return secrets


def junit_text(path: Path) -> str:
    """Every text and attribute of the JUnit XML, unescaped, after the file as written."""
    root = ET.parse(path).getroot()
    parts = [path.read_text(encoding="utf-8")]
    for element in root.iter():
        parts.extend([element.text or "", element.tail or "", *element.attrib.values()])
    return "\n".join(parts)


def leaks(outputs: dict[str, str], secrets: dict[str, str]) -> list[str]:
    return [
        f"{secret} in {where}"
        for where, text in outputs.items()
        for secret, value in secrets.items()
        if value in text
    ]


@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
@pytest.mark.parametrize("suite", ["failing", "passing"])
def test_no_secret_in_any_output(
    pytester: pytest.Pytester, cloud_env: Sandbox, options: list[str], suite: str
) -> None:
    if suite == "failing":  # Jira's login is refused by a server that echoes the request
        echo = f"Bad Request: got Authorization: Basic {basic_pair()} ({DEMO.jira_api_token})"
        cloud_env.add_faults(Fault(400, body=echo), route="jira.myself")
    pytester.makepyfile(FAILING if suite == "failing" else PASSING)
    observer = Observer(cloud_env)

    result = pytester.runpytest(
        "-p",
        "no:cacheprovider",
        "--junitxml=report.xml",
        "--log-file=run.log",
        "--log-file-level=DEBUG",
        *options,
        plugins=[observer],
    )

    providers = [name for name, _ in observer.issued]
    if suite == "failing":
        result.assert_outcomes(failed=6, skipped=1, errors=1)
        assert sorted(providers) == ["xray", "zephyr"]  # jira's login was refused
    else:
        result.assert_outcomes(passed=2)
        assert sorted(providers) == ["jira", "xray", "xray", "zephyr"]  # xray: and renewed
    log_file = (pytester.path / "run.log").read_text(encoding="utf-8")
    assert "/api/v2/authenticate HTTP/1.1" in log_file  # urllib3's DEBUG lines were there
    outputs = {
        "stdout": result.stdout.str(),
        "stderr": result.stderr.str(),
        "junit xml": junit_text(pytester.path / "report.xml"),
        "log file": log_file,
    }
    assert leaks(outputs, known_secrets(observer.issued)) == []
    assert all("eyJ" not in text for text in outputs.values())  # no JWT, not even a piece
    if suite == "failing" or "-rA" in options:
        assert "***" in outputs["stdout"]  # the secrets were there, and were hidden


def test_the_echoing_login_failure_is_reported_scrubbed(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    """The server's words are quoted, with the secrets it echoed replaced."""
    echo = {"message": f"bad header Basic {basic_pair()} for token {DEMO.jira_api_token}"}
    body = json.dumps(echo)
    cloud_env.add_faults(
        Fault(400, body=body, content_type="application/json"), route="jira.myself"
    )
    pytester.makepyfile("def test_jira(jira_session): pass")

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["Jira login failed at *: HTTP 400: bad header Basic *** for token *** — *"]
    )
