"""Under pytest-xdist one login per provider serves the whole run, and so does a failure.

xdist needs real processes: these runs use ``runpytest_subprocess``; the stand-in in this
process is reachable from them over loopback, and the environment reaches them through
``monkeypatch`` (``cloud_env``).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from pytest_tm_auth.sandbox import DEMO, Response, Sandbox, Service, State, json_response

THIRTY = """
import pytest

@pytest.mark.parametrize("number", range(30))
def test_graphql(xray_session, number):
    answer = xray_session.post("graphql", json={"query": "{ getTests(limit: 1) { total } }"})
    assert answer.status_code == 200, answer.text
"""


def run_workers(pytester: pytest.Pytester, workers: int, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", str(workers), *args)


def test_three_workers_share_one_login(pytester: pytest.Pytester, cloud_env: Sandbox) -> None:
    pytester.makepyfile(test_inner=THIRTY)

    result = run_workers(pytester, 3)

    result.assert_outcomes(passed=30)
    assert cloud_env.count("xray.authenticate") == 1
    assert cloud_env.count("xray.graphql", status=200) == 30
    result.stdout.fnmatch_lines(
        ["xray: authenticated in * s (expires *:* UTC), shared with 3 workers"]
    )
    # A provider no selected test uses is not logged in to, and not in the summary.
    assert cloud_env.count("zephyr") == cloud_env.count("jira") == 0
    result.stdout.no_fnmatch_line("zephyr:*")
    result.stdout.no_fnmatch_line("jira:*")
    result.stdout.no_fnmatch_line("*(no test used it)*")


def test_a_failed_login_is_shared_not_retried(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XRAY_CLIENT_SECRET", "demo-wrong-secret-not-real")
    pytester.makepyfile(test_inner=THIRTY)

    result = run_workers(pytester, 3, "--junitxml=report.xml")

    result.assert_outcomes(errors=30)
    assert cloud_env.count("xray.authenticate") == 1
    assert cloud_env.count("xray.authenticate", status=401) == 1
    assert cloud_env.count("xray.graphql") == 0
    cases = ET.parse(pytester.path / "report.xml").getroot().iter("testcase")
    messages = {error.get("message") for case in cases for error in case.iter("error")}
    (message,) = messages
    assert message is not None
    assert "Xray login failed at" in message
    assert "401" in message
    assert "Invalid client credentials" in message
    assert "XRAY_CLIENT_ID and XRAY_CLIENT_SECRET" in message
    assert "demo-wrong-secret-not-real" not in result.stdout.str() + message
    result.stdout.fnmatch_lines(["xray: failed: Xray login failed at *401*"])


def test_no_credentials_means_no_request_and_skips(
    pytester: pytest.Pytester, sandbox: Sandbox
) -> None:
    pytester.makepyfile(test_inner=THIRTY)

    result = run_workers(pytester, 3)

    result.assert_outcomes(skipped=30)
    assert sandbox.count() == 0
    result.stdout.fnmatch_lines(
        ["xray: skipped 30 tests: Xray credentials not set: set XRAY_CLIENT_ID and *"]
    )


@pytest.mark.parametrize("args", [["-p", "no:xdist"], ["-n", "0"]], ids=["no-xdist", "n0"])
def test_without_workers_the_login_is_lazy(
    pytester: pytest.Pytester, cloud_env: Sandbox, args: list[str]
) -> None:
    pytester.makepyfile(test_inner=THIRTY)

    result = pytester.runpytest("-p", "no:cacheprovider", *args)

    result.assert_outcomes(passed=30)
    assert cloud_env.count("xray.authenticate") == 1
    assert cloud_env.count("zephyr.projects") == 0  # no test asked for Zephyr Scale
    assert cloud_env.count("jira.myself") == 0
    result.stdout.no_fnmatch_line("*shared with*")


REVOKER = Service(
    "revoker",
    routes=[("revoker.now", "POST", r"/revoker/now", lambda _request, state, _p: _revoke(state))],
    settings=lambda sandbox: {},
)


def _revoke(state: State) -> Response:
    state.revoke_tokens()
    return json_response(200, {"revoked": True})


def test_a_revoked_token_is_renewed_once_for_all_workers(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    with contextlib.suppress(ValueError):  # the stand-in lives for the session
        cloud_env.add_service(REVOKER)
    pytester.makepyfile(
        test_inner=f"""
import pytest, requests

@pytest.mark.parametrize("number", range(30))
def test_graphql(xray_session, number):
    if number == 5:  # mid-run; then this test's own request is refused at once
        assert requests.post({cloud_env.url + "/revoker/now"!r}, timeout=10).status_code == 200
    answer = xray_session.post("graphql", json={{"query": "{{ getTests(limit: 1) {{ total }} }}"}})
    assert answer.status_code == 200, answer.text
"""
    )

    result = run_workers(pytester, 3)

    result.assert_outcomes(passed=30)
    assert cloud_env.count("xray.authenticate") == 2  # not 1 + 3
    # Each worker holding the revoked token was refused once, then got the new one.
    assert 1 <= cloud_env.count("xray.graphql", status=401) <= 3
    assert cloud_env.count("revoker.now") == 1
    result.stdout.fnmatch_lines(
        ["xray: authenticated in * s (*), renewed 1 time, shared with 3 workers"]
    )


def test_workers_use_the_controllers_stand_in(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_inner="""
        import pytest

        @pytest.mark.parametrize("number", range(6))
        def test_shared(tm_auth, xray_session, number):
            answer = xray_session.post("graphql", json={"query": "{ getTests(limit:1) { total } }"})
            assert answer.status_code == 200, answer.text
            state = tm_auth.state("xray")
            with open(f"login-{state.outcome.how}.txt", "w"):
                pass
        """
    )

    result = run_workers(pytester, 2, "--tm-auth-sandbox")

    result.assert_outcomes(passed=6)
    # One worker logged in at the controller's stand-in for both; a token from another
    # stand-in would have been refused and renewed.
    seen = sorted(path.name for path in pytester.path.glob("login-*.txt"))
    assert seen == ["login-logged in.txt", "login-shared from the controller.txt"]
    result.stdout.fnmatch_lines(["xray: authenticated in * s*, shared with 2 workers"])
    result.stdout.no_fnmatch_line("*renewed*")


def test_credentials_hook_runs_once_in_the_controller(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VAULT_XRAY_SECRET", DEMO.xray_client_secret)
    pytester.makeconftest(
        f"""
        import os

        def pytest_tm_auth_credentials(provider, config):
            with open("calls.txt", "a") as calls:
                where = "worker" if hasattr(config, "workerinput") else "controller"
                calls.write(f"{{provider.name}} {{where}}\\n")
            if provider.name == "xray":
                return {{
                    "xray_url": {sandbox.url!r},
                    "xray_client_id": {DEMO.xray_client_id!r},
                    "xray_client_secret": os.environ["VAULT_XRAY_SECRET"],
                }}
            return None
        """
    )
    pytester.makepyfile(test_inner=THIRTY)

    result = run_workers(pytester, 2)

    result.assert_outcomes(passed=30)
    assert sandbox.count("xray.authenticate") == 1
    calls = (pytester.path / "calls.txt").read_text().split("\n")
    xray_calls = [line for line in calls if line.startswith("xray ")]
    assert xray_calls == ["xray controller"]


def test_plugin_imports_without_xdist() -> None:
    code = (
        "import sys; sys.modules['xdist'] = None; "
        "import pytest_tm_auth.plugin, pytest_tm_auth.run.xdist.sharing; print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "ok"), done.stderr


def test_worker_log_files_are_scrubbed(pytester: pytest.Pytester, cloud_env: Sandbox) -> None:
    """Workers adopt the token during configure, before pytest's log handlers exist."""
    pytester.makepyfile(
        """
        import logging

        def test_logs(xray_token):
            logging.getLogger("suite").warning("got token %s", str(xray_token))
        """
    )
    log = pytester.path / "workers.log"
    result = run_workers(pytester, 2, f"--log-file={log}")

    result.assert_outcomes(passed=1)
    text = log.read_text()
    assert "got token ***" in text
    assert "eyJ" not in text
