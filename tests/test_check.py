"""``pytest --tm-auth-check``: log in to every configured provider, print a table, run no tests.

Exit status: 0 when every configured provider logged in, 1 when one failed, 4 when none is
configured. The test module beside it would fail if it were collected.
"""

from __future__ import annotations

import pytest

from pytest_tm_auth.sandbox import DEMO, Sandbox

NOT_TO_BE_COLLECTED = """
raise RuntimeError("--tm-auth-check must not collect tests")
"""
HEADER = "provider*deployment*URL*result*time*token expiry"


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_inner=NOT_TO_BE_COLLECTED)
    return pytester


def check(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", "--tm-auth-check", *args)


def test_all_good_exits_0_with_a_row_per_provider(
    suite: pytest.Pytester, cloud_env: Sandbox
) -> None:
    result = check(suite)

    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*= tm-auth check =*",
            HEADER,
            f"xray*cloud*{cloud_env.url} *ok*0.* s*20*-*-* *:* UTC",
            f"zephyr*cloud*{cloud_env.url}/v2 *ok*0.* s*-",
            f"jira*cloud*{cloud_env.url} *ok*0.* s*-",
            "tm-auth check: 3 of 3 configured providers logged in",
            "*no tests ran*",
        ]
    )
    result.stdout.no_fnmatch_line("*RuntimeError*")
    result.stdout.no_fnmatch_line("*- tm-auth -*")  # no summary repeating the table
    assert cloud_env.count("xray.authenticate") == 1
    assert cloud_env.count("zephyr.projects") == 1
    assert cloud_env.count("jira.myself") == 1


def test_one_bad_exits_1_and_says_why(
    suite: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XRAY_CLIENT_SECRET", "demo-wrong-secret-not-real")

    result = check(suite)

    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            HEADER,
            "xray*cloud*failed (HTTP 401)*-",
            "zephyr*cloud*ok*",
            "jira*cloud*ok*",
            "xray: Xray login failed at *: HTTP 401*Invalid client credentials*",
            "tm-auth check: 2 of 3 configured providers logged in",
        ]
    )
    assert "demo-wrong-secret-not-real" not in result.stdout.str()


def test_none_configured_exits_4_and_names_what_to_set(
    suite: pytest.Pytester, sandbox: Sandbox
) -> None:
    result = check(suite)

    assert result.ret == 4
    result.stdout.fnmatch_lines(
        [
            HEADER,
            "xray*-*-*not configured*-*-",
            "zephyr*-*-*not configured*-*-",
            "jira*-*-*not configured*-*-",
            "xray: Xray credentials not set: set XRAY_CLIENT_ID and XRAY_CLIENT_SECRET*",
            "tm-auth check: no provider is configured*",
        ]
    )
    assert sandbox.count() == 0


def test_only_configured_providers_count(
    suite: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZEPHYR_URL", sandbox.url + "/v2/")
    monkeypatch.setenv("ZEPHYR_TOKEN", DEMO.zephyr_token)

    result = check(suite)

    assert result.ret == 0
    result.stdout.fnmatch_lines(
        ["xray*not configured*", "zephyr*cloud*ok*", "tm-auth check: 1 of 1 configured provider*"]
    )


def test_provider_configured_by_a_credentials_hook_is_checked(
    suite: pytest.Pytester, sandbox: Sandbox
) -> None:
    suite.makeconftest(
        f"""
        def pytest_tm_auth_credentials(provider):
            if provider.name == "xray":
                return {{
                    "xray_url": {sandbox.url!r},
                    "xray_client_id": {DEMO.xray_client_id!r},
                    "xray_client_secret": {DEMO.xray_client_secret!r},
                }}
            return None
        """
    )

    result = check(suite)

    assert result.ret == 0
    result.stdout.fnmatch_lines([f"xray*cloud*{sandbox.url} *ok*"])
    assert sandbox.count("xray.authenticate") == 1


def test_starts_no_workers_and_ignores_remembered_tokens(
    suite: pytest.Pytester, cloud_env: Sandbox
) -> None:
    assert check(suite, "--tm-auth-remember").ret == 0

    result = check(suite, "--tm-auth-remember", "-n", "2")

    assert result.ret == 0
    result.stdout.no_fnmatch_line("*created: 2/2 workers*")
    result.stdout.no_fnmatch_line("*bringing up nodes*")
    assert cloud_env.count("xray.authenticate") == 2  # the check always tries the credentials


def test_check_is_also_an_environment_variable(
    suite: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TM_AUTH_CHECK", "1")

    result = suite.runpytest("-p", "no:cacheprovider")

    assert result.ret == 0
    result.stdout.fnmatch_lines(["tm-auth check: 3 of 3 configured providers logged in"])
