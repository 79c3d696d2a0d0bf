"""Every header and field a server writes reaches the terminal inert: no escape sequence.

Each case feeds one header or field an escape sequence that would clear the screen, print a
fake ``999 passed`` or conceal the rest of the line, in a test run and in the command.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_tm_auth.sandbox import Fault, Sandbox
from pytest_tm_auth.sandbox.demo import DEMO
from tests.environment import export
from tests.stored import command, output

#: Clear the screen, home the cursor, a green fake result, concealed text, a window title.
ESCAPES = "\x1b[2J\x1b[H\x1b[32m999 passed\x1b[0m\x1b[8mhidden\x1b]0;owned\x07\x9b2J"
CONTROL = ("\x1b", "\x07", "\x9b")


def assert_inert(text: str) -> None:
    for byte in CONTROL:
        assert byte not in text, repr(text)


@pytest.fixture
def service_account_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    export(monkeypatch, sandbox, "cloud-oauth")
    return sandbox


def run_jira(pytester: pytest.Pytester) -> pytest.RunResult:
    pytester.makepyfile("def test_myself(jira_session):\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--tm-auth-retries=0")
    result.assert_outcomes(errors=1)
    assert_inert(result.stdout.str() + result.stderr.str())
    return result


def test_a_captcha_login_url_is_quoted_inert(
    pytester: pytest.Pytester, datacenter_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    denied = f"CAPTCHA_CHALLENGE; login-url=https://jira.example.invalid/{ESCAPES}login.jsp"
    headers = {"X-Authentication-Denied-Reason": denied}
    datacenter_env.add_faults(Fault(403, headers=headers, body="denied"), route="jiradc.myself")

    result = run_jira(pytester)

    result.stdout.fnmatch_lines(
        ["*log in once through the browser at https://jira.example.invalid/??*999 passed*hidden?*"]
    )


def test_an_oauth_error_and_its_description_are_quoted_inert(
    pytester: pytest.Pytester, service_account_env: Sandbox
) -> None:
    body = json.dumps({"error": f"invalid_client{ESCAPES}", "error_description": ESCAPES})
    service_account_env.add_faults(
        Fault(401, body=body, content_type="application/json"), route="oauth.token"
    )

    result = run_jira(pytester)

    result.stdout.fnmatch_lines(
        ["*Jira login failed at *: HTTP 401: the token endpoint answered invalid_client??*: ??*"]
    )


def test_the_keys_of_an_oauth_answer_without_a_token_are_quoted_inert(
    pytester: pytest.Pytester, service_account_env: Sandbox
) -> None:
    body = json.dumps({ESCAPES: 1, "token_type": "Bearer"})
    service_account_env.add_faults(
        Fault(200, body=body, content_type="application/json"), route="oauth.token"
    )

    result = run_jira(pytester)

    result.stdout.fnmatch_lines(["*HTTP 200 but no access_token in the answer (??*, token_type)*"])


def test_the_command_quotes_an_oauth_refusal_inert(
    service_account_env: Sandbox, stored_home: Path
) -> None:
    body = json.dumps({"error": f"invalid_client{ESCAPES}", "error_description": ESCAPES})
    service_account_env.add_faults(
        Fault(401, body=body, content_type="application/json"), route="oauth.token"
    )

    done = command(
        "login", "jira", stdin=DEMO.cloud_client_secret + "\n", env={"JIRA_CLIENT_SECRET": ""}
    )

    assert done.returncode == 1, output(done)
    assert_inert(output(done))
    assert "the token endpoint answered invalid_client??" in done.stderr
