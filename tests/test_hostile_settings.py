"""Settings bounded at start: each bad value is one usage line that says what is accepted."""

from __future__ import annotations

import os

import pytest

from pytest_tm_auth.sandbox import Sandbox

LOGIN = "def test_login(xray_token):\n    assert xray_token\n"


def usage_error(pytester: pytest.Pytester, *args: str) -> str:
    pytester.makepyfile(LOGIN)
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    text = result.stderr.str()
    assert "Traceback" not in text + result.stdout.str()
    assert "OverflowError" not in text
    return text


@pytest.mark.parametrize("value", ["1e10", "601", "inf", "nan", "0"])
def test_a_timeout_out_of_bounds_is_a_usage_error_that_says_them(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TM_AUTH_TIMEOUT", value)

    text = usage_error(pytester)

    assert (
        f"Invalid value {value!r} for --tm-auth-timeout from env (TM_AUTH_TIMEOUT): expected a "
        "number of seconds above 0 and at most 600"
    ) in text


def test_retries_out_of_bounds_are_a_usage_error_that_says_them(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    text = usage_error(pytester, "--tm-auth-retries=1000")

    assert "for --tm-auth-retries from the command line: expected a whole number from 0 to 10" in (
        text
    )


@pytest.mark.parametrize(
    "content", ["", "not a certificate\n", "-----BEGIN CERTIFICATE-----\nAA\n"]
)
def test_a_ca_bundle_without_a_certificate_is_a_usage_error_naming_it(
    pytester: pytest.Pytester, cloud_env: Sandbox, content: str
) -> None:
    bundle = pytester.path / "corporate-ca.pem"
    bundle.write_text(content, encoding="utf-8")

    text = usage_error(pytester, f"--tm-auth-ca-bundle={bundle}")

    assert f"CA bundle '{bundle}' in --tm-auth-ca-bundle from the command line holds no" in text
    assert cloud_env.count("xray.authenticate") == 0


def test_a_ca_bundle_that_is_a_directory_is_called_a_directory(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    text = usage_error(pytester, f"--tm-auth-ca-bundle={pytester.path}")

    assert "is a directory, not a file" in text
    assert "does not exist" not in text


def test_an_env_file_option_naming_a_directory_is_called_a_directory(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    (pytester.path / "secrets").mkdir()

    text = usage_error(pytester, "--tm-auth-env-file=secrets")

    assert "--tm-auth-env-file from the command line names " in text
    assert "secrets, a directory, not a file" in text


def test_a_dot_env_that_is_a_directory_is_a_usage_error(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    (pytester.path / ".env").mkdir()

    text = usage_error(pytester)

    assert ".env is a directory, not a .env file" in text


def test_a_dot_env_line_that_cannot_be_parsed_is_a_warning_naming_file_and_line(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = os.environ["ZEPHYR_TOKEN"]  # the stand-in's demo token
    monkeypatch.delenv("ZEPHYR_TOKEN")
    pytester.path.joinpath(".env").write_text(
        f"# demo values only\nZEPHYR_TOKEN={token}\nthis line is 'broken\n",
        encoding="utf-8",
    )
    pytester.makepyfile("def test_z(zephyr_session):\n    pass\n")

    # Read at configure (the header names its source): before pytest collects warnings.
    with pytest.warns(UserWarning, match=r"^\.env:3: python-dotenv could not parse this line"):
        result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)
