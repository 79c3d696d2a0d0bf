"""Every recipe in ``examples/recipes`` runs as documented, and its hook has its effect.

Each recipe directory is copied into a fresh pytester directory and run in-process with
``--tm-auth-sandbox``, the command its docstring gives. Recipes are discovered, so a new
one cannot go untested. Then each recipe runs once more against this suite's own stand-in
(configured through the environment), whose records show what the recipe changed.

The TestRail recipe brings its own stand-in service (``standin.py``) and adds it through the
``pytest_tm_auth_sandbox`` hook; its runs here use a stand-in of this module's with that
service added.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests

from examples.recipes.testrail import standin
from pytest_tm_auth.sandbox import DEMO, Sandbox
from tests.environment import export

RECIPES = Path(__file__).resolve().parent.parent / "examples" / "recipes"
STALE = "demo-stale-value-not-real"


@pytest.fixture
def testrail_env(testrail_server: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """A stand-in serving the recipe's TestRail too, all of it configured through env vars."""
    testrail_server.reset()
    export(monkeypatch, testrail_server, "cloud")
    return testrail_server


def recipe_names() -> list[str]:
    return sorted(
        path.name
        for path in RECIPES.iterdir()
        if path.is_dir() and not path.name.startswith(("_", "."))
    )


def copy_recipe(pytester: pytest.Pytester, name: str) -> None:
    shutil.copytree(
        RECIPES / name,
        pytester.path,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns("__pycache__"),
    )


def run_recipe(pytester: pytest.Pytester, name: str, *args: str) -> pytest.RunResult:
    """Copy recipe ``name`` into the pytester directory, run it and require every test to pass."""
    copy_recipe(pytester, name)
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    outcomes = result.parseoutcomes()
    assert set(outcomes) == {"passed"}, result.stdout.str()
    return result


def test_the_recipes_are_discovered() -> None:
    assert {"audit_log", "publishing", "testrail", "vault", "wrapped_login"} <= set(recipe_names())


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
    pytester: pytest.Pytester, testrail_env: Sandbox
) -> None:
    result = run_recipe(pytester, "testrail", "-vv")

    result.stdout.fnmatch_lines(
        [
            f"tm-auth: testrail server {testrail_env.url}/testrail "
            "(user demo….com from env, API key from env)",
            "*testrail: authenticated in * s",
        ]
    )
    assert testrail_env.count("testrail.user") == 2  # the login check, then the test's request
    assert testrail_env.count("testrail.case", status=200) == 1
    assert {entry.auth for entry in testrail_env.requests} == {"basic"}
    assert standin.API_KEY not in result.stdout.str()


CALLS_THE_HOOK = """
import requests

from pytest_tm_auth.sandbox import Sandbox


def test_the_hook_serves_testrail_and_its_settings(request):
    with Sandbox() as sandbox, requests.Session() as http:
        request.config.hook.pytest_tm_auth_sandbox(sandbox=sandbox)
        settings = sandbox.settings()
        http.trust_env = False
        response = http.get(
            settings["testrail_url"] + "/index.php?/api/v2/get_current_user",
            auth=(settings["testrail_user"], settings["testrail_api_key"]),
        )
        assert response.status_code == 200, response.text
        assert sandbox.count("testrail.user", status=200) == 1
"""


def test_testrail_recipe_adds_its_standin_through_the_sandbox_hook(
    pytester: pytest.Pytester,
) -> None:
    """What the plugin does with ``--tm-auth-sandbox``: call the hook with its stand-in."""
    copy_recipe(pytester, "testrail")
    pytester.makepyfile(test_calls_the_hook=CALLS_THE_HOOK)

    result = pytester.runpytest("-p", "no:cacheprovider", "test_calls_the_hook.py")

    result.assert_outcomes(passed=1)


def test_the_testrail_standin_answers_like_testrail(testrail_server: Sandbox) -> None:
    testrail_server.reset()
    base = f"{testrail_server.url}/testrail/index.php?/api/v2"
    auth = (standin.USER, standin.API_KEY)
    with requests.Session() as http:
        http.trust_env = False
        me = http.get(f"{base}/get_current_user", auth=auth)
        assert (me.status_code, me.json()["email"]) == (200, standin.USER)
        refused = http.get(f"{base}/get_current_user", auth=(standin.USER, "wrong"))
        assert refused.status_code == 401
        assert refused.json() == {
            "error": "Authentication failed: invalid or missing user/password or session cookie."
        }
        assert http.get(f"{base}/get_case/1", auth=auth).json()["id"] == 1
        assert http.get(f"{base}/get_case/2", auth=auth).status_code == 400
    routes = [r.route for r in testrail_server.requests]
    assert routes == ["testrail.user"] * 2 + ["testrail.case"] * 2
    assert testrail_server.requests[0].query == "/api/v2/get_current_user"
    assert testrail_server.requests[0].path == "/testrail/index.php"
    assert testrail_server.settings()["testrail_url"] == f"{testrail_server.url}/testrail"
    with Sandbox() as built_in_only:  # TestRail is the recipe's, not the package's
        assert not any(name.startswith("testrail_") for name in built_in_only.settings())
        with pytest.raises(ValueError, match="no route"):
            built_in_only.add_faults(route="testrail")


def test_publishing_lands_once_and_its_summary_reads_back_what_xray_holds(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)

    run_recipe(pytester, "publishing")

    (execution,) = cloud_env.test_executions()
    runs = execution["runs"]
    assert sorted(runs) == ["DEMO-1", "DEMO-2", "DEMO-3", "DEMO-4"]
    assert [i["name"] for i in runs["DEMO-2"]["iterations"]] == ["EUR", "USD", "JPY"]
    assert runs["DEMO-2"]["defects"] == ["DEMO-9"]
    assert [e["filename"] for e in runs["DEMO-3"]["evidence"]] == ["receipt.txt"]
    assert cloud_env.count("xray.import") == 1
    summary = (pytester.path / "tm-auth-summary.md").read_text(encoding="utf-8")
    assert f"4 results in [{execution['key']}]" in summary
    rows = [line for line in summary.splitlines() if line.startswith("| DEMO-")]
    assert rows == [f"| {key} | {runs[key]['status']} |" for key in sorted(runs)]
