"""Each warning points at the user's file or setting, never at the plugin's own lines, and
quotes no line of the file that holds a secret."""

from __future__ import annotations

import pytest

from pytest_tm_auth.sandbox import Fault, Sandbox

DAY = 86400
NOTHING = "def test_nothing():\n    pass\n"


def warnings_of(result: pytest.RunResult) -> str:
    text = result.stdout.str()
    assert "warnings summary" in text, text
    assert "pytest_tm_auth" not in text.split("warnings summary")[1], text
    return text


def test_a_secret_in_the_ini_file_points_at_its_line_and_does_not_quote_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\nxray_client_id = demo-id\nxray_client_secret = demo-ini-not-real\n")
    monkeypatch.setenv("XRAY_CLIENT_SECRET", "demo-env-secret-not-real")  # the ini's loses
    pytester.makepyfile(NOTHING)

    result = pytester.runpytest("-p", "no:cacheprovider")

    text = warnings_of(result)
    result.stdout.fnmatch_lines(["*tox.ini:3: SecretInIniWarning: xray_client_secret is a secret*"])
    assert "demo-ini-not-real" not in text


@pytest.mark.parametrize(
    ("where", "place"),
    [("env", "XRAY_CLIENT_SECRET (environment):1"), (".env", "*.env:2")],
)
def test_a_short_secret_points_at_where_it_was_set(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, where: str, place: str
) -> None:
    if where == "env":
        monkeypatch.setenv("XRAY_CLIENT_SECRET", "abcde")
    else:
        (pytester.path / ".env").write_text("XRAY_CLIENT_ID=demo-id\nXRAY_CLIENT_SECRET=abcde\n")
    pytester.makepyfile(NOTHING)

    result = pytester.runpytest("-p", "no:cacheprovider")

    warnings_of(result)
    result.stdout.fnmatch_lines([f"*{place}: ShortSecretWarning: *"])


def test_tls_off_points_at_the_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(NOTHING)

    result = pytester.runpytest("-p", "no:cacheprovider", "--tm-auth-insecure")

    warnings_of(result)
    result.stdout.fnmatch_lines(["*--tm-auth-insecure (the command line):1: InsecureTransport*"])


def test_an_expiring_token_points_at_its_variable(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZEPHYR_TOKEN", cloud_env.issue_zephyr_token(lifetime=5 * DAY + 60))
    pytester.makepyfile("def test_a(zephyr_session):\n    assert zephyr_session.get('projects').ok")

    result = pytester.runpytest("-p", "no:cacheprovider")

    warnings_of(result)
    result.stdout.fnmatch_lines(["*ZEPHYR_TOKEN (environment):1: ExpiringCredentialWarning: *"])


def test_an_unknown_token_expiry_points_at_the_credentials(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    cloud_env.add_faults(Fault.jwt("1e18"), route="xray.authenticate")
    pytester.makepyfile("def test_a(xray_token):\n    assert xray_token")

    result = pytester.runpytest("-p", "no:cacheprovider")

    warnings_of(result)
    result.stdout.fnmatch_lines(["*XRAY_CLIENT_SECRET (environment):1: TokenExpiryWarning: *"])


def test_a_secret_too_short_to_hide_is_not_quoted_from_its_file(
    pytester: pytest.Pytester,
) -> None:
    """Under 4 characters the scrubber cannot hide it: the summary must not quote its line."""
    (pytester.path / ".env").write_text("XRAY_CLIENT_ID=demo-id\nXRAY_CLIENT_SECRET=q7z\n")
    pytester.makepyfile(NOTHING)

    result = pytester.runpytest("-p", "no:cacheprovider")

    text = warnings_of(result)
    result.stdout.fnmatch_lines(["*.env:2: ShortSecretWarning: *"])
    assert "XRAY_CLIENT_SECRET=q7z" not in text
