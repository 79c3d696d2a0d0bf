"""Where a value came from, when a credentials hook gave it: the header and the advice of a
refused login name the hook and its file, not the environment variables it overrode."""

from __future__ import annotations

import pytest

from pytest_tm_auth.sandbox import Sandbox

#: The README's vault hook, reading each secret from a file named after its setting.
VAULT_CONFTEST = """
from pathlib import Path


def pytest_tm_auth_credentials(provider):
    folder = Path(__file__).parent / "vault"
    found = {
        setting.name: (folder / setting.name).read_text().strip()
        for setting in provider.settings
        if setting.secret and (folder / setting.name).is_file()
    }
    return found or None
"""
HOOK = "the pytest_tm_auth_credentials hook (conftest.py)"


def vault(pytester: pytest.Pytester, **secrets: str) -> None:
    pytester.makeconftest(VAULT_CONFTEST)
    folder = pytester.mkdir("vault")
    for name, value in secrets.items():
        (folder / name).write_text(value)


def test_the_header_says_the_hook_may_supply_the_credentials(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    vault(pytester, xray_client_secret="demo-vault-secret-not-real")
    pytester.makepyfile("def test_nothing():\n    pass\n")

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.stdout.fnmatch_lines(
        [
            f"tm-auth: xray cloud * (client id * from env, client secret from env, or from {HOOK} "
            "on first use)"
        ]
    )


def test_a_refused_login_names_the_hook_that_gave_the_wrong_secret(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    vault(pytester, xray_client_secret="demo-wrong-vault-secret-not-real")
    pytester.makepyfile("def test_xray(xray_token):\n    pass\n")

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"Xray login failed at *: HTTP 401: * — check XRAY_CLIENT_ID and xray_client_secret "
            f"from {HOOK} (an Xray API key)"
        ]
    )
    assert "XRAY_CLIENT_SECRET" not in result.stdout.str()
    assert cloud_env.count("xray.authenticate") == 1


def test_a_refused_login_under_xdist_names_the_hook_too(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    vault(pytester, xray_client_secret="demo-wrong-vault-secret-not-real")
    pytester.makepyfile("def test_xray(xray_token):\n    pass\n\ndef test_other():\n    pass\n")

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")

    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([f"xray: failed: * xray_client_secret from {HOOK} *"])
