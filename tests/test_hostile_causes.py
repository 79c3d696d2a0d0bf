"""The one line of a failed login names what really happened, whatever the server did.

Each case used to blame something else: a hook (for a deep answer, or ``-W error``), the
body (for headers dripped past the deadline), a closed connection (for 101 headers, or a
proxy's 407), Jira's admins (for a 429 from Xray Cloud), or the body again (for a response
hook on the login session that read it first).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pytest_tm_auth.sandbox import Fault, Sandbox
from tests.hostile import Answer, HostileServer, serving_xray

LOGIN = "def test_login(xray_token):\n    assert xray_token\n"
ROUTE = "xray.authenticate"
#: Deeper than Python's JSON parser goes (about 1000 levels on 3.10, 20000 on 3.13), within
#: the 64 KiB a login reads of an answer; an error is read up to 4 KiB: 2000 levels.
DEEP_ANSWER = 30_000
DEEP_ERROR = 2_000


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(LOGIN)
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:xdist", *args)
    text = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in text
    assert "fix the hook" not in text
    assert "RecursionError" not in text
    return result


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    with serving_xray(monkeypatch) as server:
        yield server


def test_a_login_answer_nested_too_deep_is_not_a_token(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    body = "[" * DEEP_ANSWER + "]" * DEEP_ANSWER
    cloud_env.add_faults(Fault(200, body=body, content_type="application/json"), route=ROUTE)

    result = run(pytester)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*Xray login failed at *: HTTP 200 but the body is not a token*"])


def test_an_error_nested_too_deep_is_quoted_as_text(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    body = "[" * DEEP_ERROR + "]" * DEEP_ERROR
    cloud_env.add_faults(Fault(401, body=body, content_type="application/json"), route=ROUTE)

    result = run(pytester)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*Xray login failed at *: HTTP 401: [[][[][[]*"])


def test_an_unreadable_exp_under_w_error_names_the_warning(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    cloud_env.add_faults(Fault.jwt("1e18"), route=ROUTE)

    result = run(pytester, "-W", "error::pytest_tm_auth.TokenExpiryWarning")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "Xray: the token's expiry is unknown (its exp claim is *); it is not renewed; -W "
            "error made this TokenExpiryWarning an error, so the login failed — add "
            "-W default::pytest_tm_auth.TokenExpiryWarning after it to use the token"
        ]
    )
    cloud_env.add_faults(Fault.jwt("1e18"), route=ROUTE)
    advised = ("-W", "default::pytest_tm_auth.TokenExpiryWarning")
    run(pytester, "-W", "error", *advised).assert_outcomes(passed=1, warnings=1)


def test_headers_dripped_past_the_deadline_are_too_slow(
    pytester: pytest.Pytester, hostile: HostileServer
) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" + b"X-Drip: 1\r\n" * 40
    hostile.answer = Answer(head + b'\r\n"demo-token"', chunk=11, pause=0.05)

    result = run(pytester, "--tm-auth-timeout=0.5", "--tm-auth-retries=0")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*Xray login failed at *: the service answered too slowly: no whole answer within 0.5 s*"]
    )


def test_more_than_100_headers_are_named(pytester: pytest.Pytester, hostile: HostileServer) -> None:
    head = b"HTTP/1.1 200 OK\r\n" + b"X-Many: 1\r\n" * 101 + b"Content-Length: 2\r\n\r\n"
    hostile.answer = Answer(head + b'""')

    result = run(pytester, "--tm-auth-retries=0")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*Xray login failed at *: the answer had more than 100 headers, more than any API sends*"]
    )


def test_a_proxy_asking_for_credentials_is_named(
    pytester: pytest.Pytester, hostile: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile.answer = Answer(
        b"HTTP/1.1 407 Proxy Authentication Required\r\n"
        b'Proxy-Authenticate: Basic realm="corp"\r\nContent-Length: 0\r\n\r\n'
    )
    monkeypatch.setenv("XRAY_URL", "https://xray.example.invalid")
    monkeypatch.setenv("HTTPS_PROXY", hostile.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    result = run(pytester, "--tm-auth-retries=0")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*Xray login failed at https://xray.example.invalid/*: the proxy refused the "
            "connection: HTTP 407 Proxy Authentication Required — *"
        ]
    )
    assert hostile.requests == 1


def test_a_429_from_xray_cloud_does_not_blame_jira(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    limited = Fault(429, body='{"error":"Too many requests"}', content_type="application/json")
    cloud_env.add_faults(limited, route=ROUTE)

    result = run(pytester, "--tm-auth-retries=0")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*Xray login failed at *: HTTP 429: Too many requests — Xray Cloud is rate-limiting *"]
    )
    assert "Jira" not in result.stdout.str()


def test_a_response_hook_that_drains_the_raw_login_answer_cannot_take_it_from_the_login(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makeconftest(
        """
        import pytest

        def drain(response, *args, **kwargs):
            response.raw.read()

        @pytest.hookimpl(tryfirst=True)
        def pytest_tm_auth_authenticate(login):
            login.http.hooks["response"].append(drain)
        """
    )

    result = run(pytester)

    # The login reads its answer before any team's response hook runs (it learns the token
    # there), so a hook that drains ``response.raw`` finds it read and the login works.
    result.assert_outcomes(passed=1)


def test_a_response_hook_that_logs_the_login_answer_leaves_the_login_working(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makeconftest(
        """
        import logging
        import pytest

        def log_answer(response, *args, **kwargs):
            logging.getLogger("audit").info("login answered %s", response.text)

        @pytest.hookimpl(tryfirst=True)
        def pytest_tm_auth_authenticate(login):
            login.http.hooks["response"].append(log_answer)
        """
    )

    result = run(pytester)

    result.assert_outcomes(passed=1)
    assert cloud_env.count(ROUTE) == 1
