"""Whatever bytes a server sends, at whatever pace: one line, bounded time and memory, no secret.

The examples come from a loopback server that writes raw bytes (``tests/hostile.py``), so
they include answers no HTTP library would write.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import resource
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_tm_auth.http import bounded
from tests.hostile import Answer, HostileServer, serving_xray

SECRET = "demo-hostile-secret-Zq81-not-real"
LOGIN = "def test_login(xray_token):\n    assert xray_token\n"
TIMEOUT = 0.1
PAUSE_CAP = 0.1
#: Answers generated: fewer in the support matrix's lowest session (noxfile.py).
EXAMPLES = int(os.environ.get("HOSTILE_SERVER_EXAMPLES", "200"))


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    with serving_xray(monkeypatch, SECRET) as server:
        yield server


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(LOGIN)
    return pytester.runpytest("-p", "no:cacheprovider", "-p", "no:xdist", *args)


def test_a_server_that_is_not_http_is_named(
    pytester: pytest.Pytester, hostile: HostileServer
) -> None:
    hostile.answer = Answer(b"SSH-2.0-OpenSSH_9.6\r\n")

    result = run(pytester, "--tm-auth-retries=0")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*Xray login failed at *: the server did not answer in HTTP — check http:// versus*"]
    )


def test_a_connection_closed_mid_answer_is_named(
    pytester: pytest.Pytester, hostile: HostileServer
) -> None:
    hostile.answer = Answer(b'HTTP/1.1 200 OK\r\nContent-Length: 300\r\n\r\n"eyJ')

    result = run(pytester, "--tm-auth-retries=0")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*Xray login failed at *: the answer was cut short: the connection closed after 4 of"
            " 300 bytes — *"
        ]
    )


def test_headers_closed_mid_way_are_named(
    pytester: pytest.Pytester, hostile: HostileServer
) -> None:
    hostile.answer = Answer(b"HTTP/1.1 200 OK\r\nContent-Ty")

    result = run(pytester, "--tm-auth-retries=0")

    result.assert_outcomes(errors=1)
    assert "Traceback" not in result.stdout.str()
    result.stdout.fnmatch_lines(["*Xray login failed at *: HTTP 200 but the body is not a token*"])


def jwt(exp: str) -> str:
    claims = base64.urlsafe_b64encode(f'{{"exp":{exp}}}'.encode()).decode().rstrip("=")
    return f"eyJhbGciOiJIUzI1NiJ9.{claims}.c2lnbmF0dXJl"


statuses = st.sampled_from([200, 200, 301, 400, 401, 403, 404, 429, 500, 502, 503, 504, 599])
bodies = st.one_of(
    st.sampled_from(["", "{}", "null", '"  "', "[]", "<html><title>Sign in</title></html>"]),
    st.sampled_from(["1e18", "NaN", "Infinity", "1e400", "9" * 400, "960", "4102444800"]).map(
        lambda exp: json.dumps(jwt(exp))
    ),
    st.sampled_from([f"bad secret {SECRET}", json.dumps({"error": f"{SECRET} refused"})]),
    st.text(max_size=300).map(lambda text: json.dumps({"message": text})),
    st.text(max_size=300),
    st.just(json.dumps("demo\r\nX-Injected: 1")),
    st.just("\x1b]0;owned\x07\x1b[2J" * 50),
)
extra_headers = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "Retry-After: 0.1",
                "Retry-After: -5",
                "Retry-After: 1e308",
                "Retry-After: soon-ish",
                "Retry-After: Thu, 01 Jan 1970 00:00:00 GMT",
                "Retry-After: Fri, 31 Dec 9999 23:59:59 GMT",
                "Content-Type: text/html",
                "Content-Type: application/json",
                "Location: http://127.0.0.1:9/elsewhere\x1b[2J",
                "X-Seraph-LoginReason: AUTHENTICATION_DENIED",
                "Transfer-Encoding: chunked",
                "Content-Encoding: gzip",
                "Content-Encoding: br",
                f"X-Echo: {SECRET}",
            ]
        ),
        st.text(st.characters(min_codepoint=1, max_codepoint=255), max_size=40).map(
            lambda text: f"X-Noise: {text}"
        ),
    ),
    max_size=4,
)


@st.composite
def answers(draw: st.DrawFn) -> Answer:
    status = draw(statuses)
    body = draw(bodies).encode("utf-8")
    headers = draw(extra_headers)
    if "Content-Encoding: gzip" in headers and draw(st.booleans()):
        body = gzip.compress(body + bytes(draw(st.sampled_from([0, 1 << 20, 8 << 20]))))
    length = draw(st.sampled_from(["right", "right", "short", "long", "none", "garbage"]))
    lines = [draw(st.sampled_from([f"HTTP/1.1 {status} Hostile", f"HTTP/1.0 {status}", "ICY 200"]))]
    if length != "none":
        declared = {"right": len(body), "short": max(0, len(body) - 3), "long": len(body) + 50}
        lines.append(f"Content-Length: {declared.get(length, 'many')}")
    lines += headers
    head = "\r\n".join(lines).encode("latin-1", "replace") + b"\r\n\r\n"
    pace = draw(st.sampled_from(["at once", "at once", "at once", "chunks", "drip"]))
    if pace == "drip":
        return Answer(head + body, chunk=1, pause=0.02)
    if pace == "chunks":
        return Answer(head + body, chunk=7, pause=0.001)
    return Answer(head + body, close=draw(st.sampled_from([True, True, True, False])))


@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(answer=answers())
def test_no_answer_makes_a_traceback_a_hang_a_leak_or_a_memory_spike(
    pytester: pytest.Pytester,
    hostile: HostileServer,
    monkeypatch: pytest.MonkeyPatch,
    answer: Answer,
) -> None:
    monkeypatch.setattr(bounded, "MAX_RETRY_AFTER", PAUSE_CAP)  # pauses short, for speed
    hostile.answer = answer
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()

    result = run(pytester, f"--tm-auth-timeout={TIMEOUT}", "--tm-auth-retries=1")

    took = time.monotonic() - started
    text = result.stdout.str() + result.stderr.str()
    assert result.ret in (0, 1), text
    assert "Traceback" not in text
    assert "INTERNALERROR" not in text
    assert SECRET not in text
    assert "\x1b" not in text
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) + outcomes.get("errors", 0) == 1, text
    # A hang, not a speed check: two attempts of one deadline each and one capped pause, plus
    # generous room for starting pytest on a loaded machine (a hang would never end at all).
    assert took < 2 * TIMEOUT + PAUSE_CAP + 30
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 50 * 1024
