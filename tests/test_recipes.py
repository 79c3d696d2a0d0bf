"""Every recipe in ``examples/recipes`` runs as documented, and its hook has its effect.

Each recipe directory is copied into a fresh pytester directory and run in-process with
``--tm-auth-sandbox``, the command its docstring gives. Recipes are discovered, so a new
one cannot go untested. Then each recipe runs once more against this suite's own stand-in
(configured through the environment), whose records show what the recipe changed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pytest_tm_auth.sandbox import DEMO, Sandbox

RECIPES = Path(__file__).resolve().parent.parent / "examples" / "recipes"
STALE = "demo-stale-value-not-real"


def recipe_names() -> list[str]:
    return sorted(
        path.name
        for path in RECIPES.iterdir()
        if path.is_dir() and not path.name.startswith(("_", "."))
    )


def run_recipe(pytester: pytest.Pytester, name: str, *args: str) -> pytest.RunResult:
    """Copy recipe ``name`` into the pytester directory, run it and require every test to pass."""
    shutil.copytree(
        RECIPES / name,
        pytester.path,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    outcomes = result.parseoutcomes()
    assert set(outcomes) == {"passed"}, result.stdout.str()
    return result


def test_the_recipes_are_discovered() -> None:
    assert {"audit_log", "testrail", "vault", "wrapped_login"} <= set(recipe_names())


@pytest.mark.parametrize("name", recipe_names())
def test_recipe_passes_with_the_command_its_docstring_gives(
    pytester: pytest.Pytester, name: str
) -> None:
    conftest = (RECIPES / name / "conftest.py").read_text(encoding="utf-8")
    assert f"pytest examples/recipes/{name} --tm-auth-sandbox" in conftest
    assert list((RECIPES / name).glob("test_*.py")), f"recipe {name} has no test file"

    run_recipe(pytester, name, "--tm-auth-sandbox")


def test_vault_secrets_win_over_stale_ones_in_the_environment(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_TOKEN", STALE)
    monkeypatch.setenv("XRAY_CLIENT_SECRET", STALE)

    result = run_recipe(pytester, "vault", "-vv")

    assert cloud_env.count("jira.myself", status=200) >= 1
    assert cloud_env.count("xray.authenticate", status=200) == 1
    assert cloud_env.count(status=401) == 0  # the stale values were never sent
    output = result.stdout.str()
    assert DEMO.jira_api_token not in output
    assert DEMO.xray_client_secret not in output


def test_wrapped_login_sends_the_header_on_logins_and_on_test_requests(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    run_recipe(pytester, "wrapped_login")

    assert cloud_env.count("xray.authenticate") == 1
    assert cloud_env.count("xray.graphql") == 1
    # jira.myself twice: the once-per-run login check, then the test's own request
    assert cloud_env.count("jira.myself") == 2
    sent = {entry.route: entry.headers.get("x-request-source") for entry in cloud_env.requests}
    assert sent == {
        "xray.authenticate": "pytest",
        "xray.graphql": "pytest",
        "jira.myself": "pytest",
    }


def test_audit_log_has_one_line_per_login_and_no_secret(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    result = run_recipe(pytester, "audit_log", "-rA")

    result.stdout.fnmatch_lines(
        [
            "*Captured log setup*",
            "INFO *audit*logged in to Xray (Bearer token, expires * UTC)",
            "INFO *audit*logged in to Jira (Basic token, no expiry)",
        ]
    )
    assert cloud_env.count("xray.authenticate") == 1
    output = result.stdout.str()
    assert "eyJ" not in output  # no JWT, header or payload
    assert DEMO.jira_api_token not in output


def test_testrail_provider_logs_in_once_with_settings_from_the_environment(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    result = run_recipe(pytester, "testrail", "-vv")

    result.stdout.fnmatch_lines(
        [
            f"tm-auth: testrail server {cloud_env.url}/testrail "
            "(user demo….com from env, API key from env)",
            "*testrail: authenticated in * s",
        ]
    )
    assert cloud_env.count("testrail.user") == 2  # the login check, then the test's request
    assert cloud_env.count("testrail.case", status=200) == 1
    assert {entry.auth for entry in cloud_env.requests} == {"basic"}
    assert DEMO.testrail_api_key not in result.stdout.str()
