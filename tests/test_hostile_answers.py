"""Answers servers really send, misbehaving ones included: one clear line, bounded time."""

from __future__ import annotations

import time

import pytest

from pytest_tm_auth.sandbox import Fault, Sandbox

LOGIN = "def test_login(xray_token):\n    assert xray_token\n"
ROUTE = "xray.authenticate"


def run(pytester: pytest.Pytester, *args: str, source: str = LOGIN) -> pytest.RunResult:
    pytester.makepyfile(source)
    return pytester.runpytest("-p", "no:cacheprovider", *args)


def statuses(sandbox: Sandbox) -> list[int]:
    return [entry.status for entry in sandbox.requests if entry.route == ROUTE]


@pytest.mark.parametrize(
    ("header", "note"),
    [
        ("1.5", "retried once (HTTP 429), waited 1.5 s as Retry-After asked"),
        ("-5", "retried once (HTTP 429)"),
        ("soon-ish", "retried once (HTTP 429)"),
        ("Thu, 01 Jan 1970 00:00:00 GMT", "retried once (HTTP 429)"),
    ],
)
def test_a_429_with_any_retry_after_is_retried_and_named(
    pytester: pytest.Pytester, cloud_env: Sandbox, header: str, note: str
) -> None:
    cloud_env.add_faults(Fault.retry_after(header), route=ROUTE)

    result = run(pytester)

    result.assert_outcomes(passed=1)
    assert statuses(cloud_env) == [429, 200]
    result.stdout.fnmatch_lines([f"xray: authenticated in * s (*), {note}*"])
    assert "InvalidHeader" not in result.stdout.str()


@pytest.mark.parametrize("header", ["1e308", "-5", "soon-ish"])
def test_a_429_that_stays_is_named_with_the_server_words(
    pytester: pytest.Pytester, cloud_env: Sandbox, header: str
) -> None:
    cloud_env.add_faults(Fault.retry_after(header), route=ROUTE)

    result = run(pytester, "--tm-auth-retries=0")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*Xray login failed at *: HTTP 429: Too Many Requests — *"])
    assert "InvalidHeader" not in result.stdout.str()


def test_a_retry_after_date_in_the_past_still_backs_off(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    past = Fault.retry_after("Thu, 01 Jan 1970 00:00:00 GMT")
    cloud_env.add_faults(past, past, route=ROUTE)

    result = run(pytester)

    result.assert_outcomes(passed=1)
    assert statuses(cloud_env) == [429, 429, 200]
    # No pause before the first retry (urllib3's backoff), 1.0 s before the second.
    result.stdout.fnmatch_lines(["xray: *, retried 2 times (HTTP 429, HTTP 429), waited 1.0 s*"])
    first, _, third = (e.at for e in cloud_env.requests if e.route == ROUTE)
    assert third - first >= 1.0


def test_a_401_body_with_escape_sequences_prints_no_escape_byte(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    body = '{"error":"Unauthorized \x1b]0;owned\x07\x1b[2J\x9b2J \u202egnp.exe"}'
    cloud_env.add_faults(Fault(401, body=body, content_type="application/json"), route=ROUTE)

    result = run(pytester)

    result.assert_outcomes(errors=1)
    text = result.stdout.str() + result.stderr.str()
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "\x9b" not in text
    assert "\u202e" not in text
    result.stdout.fnmatch_lines(["*Xray login failed at *: HTTP 401: *Unauthorized ?*gnp.exe*"])


def test_a_redirect_location_is_quoted_inert(pytester: pytest.Pytester, cloud_env: Sandbox) -> None:
    location = "https://sso.example.invalid/\x1b[2Jlogin"
    cloud_env.add_faults(Fault(302, headers={"Location": location}), route=ROUTE)

    result = run(pytester)

    result.assert_outcomes(errors=1)
    assert "\x1b" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*HTTP 302 redirect to https://sso.example.invalid/*login*"])


@pytest.mark.parametrize("status", [200, 401])
def test_a_drip_of_one_byte_a_second_ends_at_the_deadline(
    pytester: pytest.Pytester, cloud_env: Sandbox, status: int
) -> None:
    """Headers and body one byte a second: each read is quick, the answer never ends."""
    cloud_env.add_faults(Fault.dripping(1.0, status), route=ROUTE)
    started = time.monotonic()

    result = run(pytester, "--tm-auth-timeout=2")

    took = time.monotonic() - started
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*Xray login failed at *: the service answered too slowly: no whole answer within 2 s*"]
    )
    assert cloud_env.count(ROUTE) == 1  # never retried: another try would double the wait
    assert took < 2 + 6  # the deadline, and generous room for pytest itself


def test_the_default_deadline_bounds_a_drip(pytester: pytest.Pytester, cloud_env: Sandbox) -> None:
    cloud_env.add_faults(Fault.dripping(1.0), route=ROUTE)
    started = time.monotonic()

    result = run(pytester)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*the service answered too slowly: no whole answer within 10 s*"])
    assert time.monotonic() - started < 10 + 8


def test_a_body_cut_short_is_named(pytester: pytest.Pytester, cloud_env: Sandbox) -> None:
    cloud_env.add_faults(Fault.cut_short(1000, "0123456789"), route=ROUTE)

    result = run(pytester, "--tm-auth-retries=0")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*Xray login failed at *: the answer was cut short: the connection closed after 10 of"
            " 1000 bytes — *"
        ]
    )
    assert "ChunkedEncodingError" not in result.stdout.str()


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--port", "99999"], "argument --port: port must be 0 to 65535, not 99999"),
        (["--port", "-1"], "argument --port: port must be 0 to 65535, not -1"),
        (["--port", "http"], "argument --port: not a port number: 'http'"),
        (["--deployment", "moon"], "argument --deployment: invalid choice: 'moon'"),
    ],
)
def test_the_stand_in_command_line_answers_bad_arguments_with_a_usage_line(
    args: list[str], said: str
) -> None:
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "pytest_tm_auth.sandbox", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert done.returncode == 2
    assert done.stderr.startswith("usage: python -m pytest_tm_auth.sandbox")
    assert said in done.stderr
    assert "Traceback" not in done.stderr


def test_a_session_call_gets_the_same_deadline_as_a_requests_timeout(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    """A test's own call to a dripping service ends at the deadline, as a ``Timeout``."""
    cloud_env.add_faults(Fault.dripping(1.0, body='{"values": []}'), route="zephyr.testcycles")
    source = (
        "import pytest, requests\n\n"
        "def test_cycles(zephyr_session):\n"
        "    with pytest.raises(requests.Timeout, match='no whole answer within 1 s'):\n"
        "        zephyr_session.get('testcycles')\n"
    )
    started = time.monotonic()

    result = run(pytester, "--tm-auth-timeout=1", source=source)

    result.assert_outcomes(passed=1)
    assert time.monotonic() - started < 1 + 6
