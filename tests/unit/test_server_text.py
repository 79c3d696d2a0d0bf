"""Pure pieces of bounded, inert handling: server text, Retry-After, token expiry."""

from __future__ import annotations

import calendar

import pytest

from pytest_tm_auth.core.errors import QUOTE_LIMIT, inert
from pytest_tm_auth.core.token import Token, jwt_exp_problem, jwt_expiry, time_left
from pytest_tm_auth.http.bounded import MAX_RETRY_AFTER, retry_after_seconds

NOW = calendar.timegm((2026, 12, 1, 20, 0, 0))


@pytest.mark.parametrize(
    "text",
    [
        "\x1b]0;owned\x07\x1b[2J",
        "\x1b[31mred\x1b[0m",
        "\x9b2J\x9d0;title\x9c",
        "bell\x07 back\x08 nul\x00 del\x7f",
        "\u202eevil\u2066",
        "\x1bP+q\x1b\\",
    ],
)
def test_server_text_keeps_no_control_character_or_escape(text: str) -> None:
    shown = inert(f"Unauthorized {text} end")

    assert shown.startswith("Unauthorized ")
    assert shown.endswith(" end")
    assert all(ch.isprintable() for ch in shown)
    assert "\x1b" not in shown


def test_server_text_is_one_line_and_bounded() -> None:
    shown = inert("word\r\n" * 10_000)

    assert len(shown) == QUOTE_LIMIT
    assert shown.endswith("…")
    assert "\n" not in shown


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("1", 1.0),
        ("1.5", 1.5),
        (" 2 ", 2.0),
        ("0", 0.0),
        ("-5", None),
        ("1e308", MAX_RETRY_AFTER),
        ("inf", None),
        ("nan", None),
        ("soon-ish", None),
        ("", None),
        (None, None),
        ("Tue, 01 Dec 2026 19:00:00 GMT", 0.0),  # an hour ago: no pause asked
        ("Tue, 01 Dec 2026 20:00:05 GMT", 5.0),
        ("Wed, 02 Dec 2026 20:00:00 GMT", MAX_RETRY_AFTER),  # tomorrow: capped
        ("Tue, 99 Foo 2026 20:00:00 GMT", None),
    ],
)
def test_retry_after_as_servers_send_it(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header, now=NOW) == seconds


def jwt(exp: str) -> str:
    import base64

    claims = base64.urlsafe_b64encode(f'{{"exp":{exp}}}'.encode()).decode().rstrip("=")
    return f"eyJhbGciOiJIUzI1NiJ9.{claims}.c2ln"


@pytest.mark.parametrize("exp", ["1e18", "NaN", "Infinity", "1e400", "1" + "0" * 400, '"soon"'])
def test_an_exp_that_is_not_a_time_is_unknown_and_said_why(exp: str) -> None:
    assert jwt_expiry(jwt(exp)) is None
    assert jwt_exp_problem(jwt(exp)).startswith("its exp claim is ")


def test_a_good_exp_is_read() -> None:
    assert jwt_expiry(jwt(str(NOW))) == NOW
    assert jwt_exp_problem(jwt(str(NOW))) == ""


def test_the_summary_shows_the_date_of_an_expiry_that_is_not_today() -> None:
    today = Token.bearer("xray", "demo", NOW + 3600)
    tomorrow = Token.bearer("xray", "demo", NOW + 86_400)

    assert today.describe_expiry(now=NOW) == "expires 21:00 UTC"
    assert tomorrow.describe_expiry(now=NOW) == "expires 2026-12-02 20:00 UTC"
    assert Token.bearer("xray", "demo", 1e18).describe_expiry(now=NOW) == ""


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (5 * 86_400 - 1, "4 days 23 hours"),
        (5 * 86_400 + 60, "5 days"),
        (86_400 + 3600, "1 day 1 hour"),
        (3 * 3600 + 5 * 60 + 59, "3 hours 5 minutes"),
        (61, "1 minute"),
        (59, "less than a minute"),
        (-10, "less than a minute"),
    ],
)
def test_time_left_never_rounds_up_and_keeps_two_units(seconds: float, shown: str) -> None:
    assert time_left(seconds) == shown


def test_an_expired_token_says_so() -> None:
    assert Token.bearer("xray", "demo", 960.0).has_expired(now=NOW)
    assert not Token.bearer("xray", "demo", NOW + 1).has_expired(now=NOW)
    assert not Token.bearer("xray", "demo").has_expired(now=NOW)
