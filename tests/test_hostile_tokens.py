"""Tokens are checked before use: a token no header can carry, or one already expired, is
one line; an ``exp`` that is not a time is "expiry unknown" with a warning, never a traceback.
"""

from __future__ import annotations

import pytest

from pytest_tm_auth import TokenExpiryWarning
from pytest_tm_auth.sandbox import Fault, Sandbox

LOGIN = "def test_login(xray_token):\n    assert xray_token\n"
ROUTE = "xray.authenticate"


def run(pytester: pytest.Pytester, *args: str, source: str = LOGIN) -> pytest.RunResult:
    pytester.makepyfile(source)
    return pytester.runpytest("-p", "no:cacheprovider", *args)


@pytest.mark.parametrize("exp", ["1e18", "NaN", "Infinity", "-Infinity", "1e400", "10" + "0" * 400])
def test_an_exp_that_is_not_a_time_is_expiry_unknown_with_a_warning(
    pytester: pytest.Pytester, cloud_env: Sandbox, exp: str
) -> None:
    cloud_env.add_faults(Fault.jwt(exp), route=ROUTE)

    result = run(pytester)

    result.assert_outcomes(passed=1, warnings=1)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*TokenExpiryWarning: Xray: the token's expiry is unknown (its exp claim is *",
            "xray: authenticated in * s",
        ]
    )
    text = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in text
    assert "fix the hook" not in text
    assert "expires" not in text


def test_an_exp_that_is_not_a_time_under_xdist_ends_without_a_traceback(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    cloud_env.add_faults(Fault.jwt("1e18"), route=ROUTE)
    source = "def test_other():\n    pass\n\ndef test_token(xray_token):\n    assert xray_token\n"

    result = run(pytester, "-n", "2", source=source)  # the login runs in a worker's test

    result.assert_outcomes(passed=2, warnings=1)
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*TokenExpiryWarning*expiry is unknown*"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert cloud_env.count(ROUTE) == 1


def test_an_exp_that_is_not_a_time_in_the_check_table(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    cloud_env.add_faults(Fault.jwt("NaN"), route=ROUTE)

    with pytest.warns(TokenExpiryWarning, match="expiry is unknown"):  # at configure
        result = run(pytester, "--tm-auth-check", "-p", "no:xdist")

    assert result.ret == 0
    result.stdout.fnmatch_lines(["*xray*ok*"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_a_token_already_expired_is_refused_with_a_clear_line(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    cloud_env.add_faults(Fault.jwt("960"), route=ROUTE)  # 00:16 on 1 January 1970

    result = run(pytester)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*Xray login failed at *: the token had already expired when it arrived — check the*"]
    )
    assert "expires 00:16" not in result.stdout.str()


@pytest.mark.parametrize(
    ("token", "what"),
    [
        ("demo\r\nSet-Cookie: x=1", "a line break"),
        ("demo-token-\x00-not-real", "a NUL character"),
        ("demo-tökén-not-real", "a character that is not ASCII"),
        ("demo-\x1b[2J-not-real", "a control character"),
    ],
)
def test_an_issued_token_no_header_can_carry_is_one_line(
    pytester: pytest.Pytester, cloud_env: Sandbox, token: str, what: str
) -> None:
    import json

    body = json.dumps(token)
    cloud_env.add_faults(Fault(200, body=body, content_type="application/json"), route=ROUTE)

    result = run(pytester)

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [f"*Xray login failed at *: the token holds {what}, which cannot be sent in an HTTP*"]
    )
    assert "Traceback" not in result.stdout.str()
    assert "ValueError" not in result.stdout.str()


@pytest.mark.parametrize(
    ("value", "what"),
    [
        ("demo-zephyr-tökén-not-real", "a character that is not ASCII"),
        ("demo\x00x", "a NUL character"),
    ],
)
def test_a_configured_token_no_header_can_carry_is_one_line_naming_the_setting(
    pytester: pytest.Pytester,
    cloud_env: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    value: str,
    what: str,
) -> None:
    if "\x00" in value:  # the environment cannot hold NUL: a .env file can
        pytester.path.joinpath(".env").write_text(f"ZEPHYR_TOKEN={value}\n", encoding="utf-8")
        monkeypatch.delenv("ZEPHYR_TOKEN")
    else:
        monkeypatch.setenv("ZEPHYR_TOKEN", value)

    result = run(pytester, source="def test_z(zephyr_session):\n    pass\n")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"*Zephyr Scale login failed at *: the token holds {what}, which cannot be sent in an"
            " HTTP header — copy --zephyr-token from * again from its source*"
        ]
    )
    assert cloud_env.count("zephyr.projects") == 0  # never sent
    text = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in text
    assert value not in text


def test_the_summary_of_a_24_hour_token_shows_its_date(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    result = run(pytester)  # the stand-in's tokens live 24 h: never "today" in UTC terms

    result.assert_outcomes(passed=1)
    result.stdout.re_match_lines(
        [r"xray: authenticated in \d+\.\d\d s \(expires \d{4}-\d\d-\d\d \d\d:\d\d UTC\)"]
    )
