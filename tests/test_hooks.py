"""Each hook, implemented in a conftest, has the effect its docstring promises.

The conftests write what they saw to files next to them (the only channel that also works
from xdist workers); the stand-in's counters and records show what reached the services.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_tm_auth.sandbox import DEMO, Fault, Sandbox

#: Two tests that need Xray: a remembered outcome shows as the same result twice.
TWO_XRAY_TESTS = """
def test_one(xray_token): pass
def test_two(xray_token): pass
"""

STALE = "demo-stale-value-not-real"

VAULT_CONFTEST = """
import json
from pathlib import Path

HERE = Path(__file__).parent

def pytest_tm_auth_credentials(provider, config):
    with (HERE / "asked.txt").open("a") as asked:
        asked.write(provider.name + "\\n")
    vault = json.loads((HERE / "vault.json").read_text())
    return vault.get(provider.name)
"""

NOTIFIED_CONFTEST = """
from pathlib import Path

def pytest_tm_auth_authenticated(provider, token):
    with (Path(__file__).parent / "notified.txt").open("a") as notified:
        notified.write(f"{provider.name} {token.provider} {token.scheme} {token!r}\\n")
"""

ALL_PROVIDERS_TESTS = """
import pytest

@pytest.mark.parametrize("n", range(6))
def test_all(xray_session, zephyr_session, jira_session, tm_auth, n):
    assert xray_session.post("graphql", json={"query": "{ getTests(limit: 1) { total } }"}).ok
    assert zephyr_session.get("projects").ok
    assert jira_session.get("myself").ok
    assert tm_auth.token("xray").scheme == "Bearer"
"""


def lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines() if path.exists() else []


def write_vault(pytester: pytest.Pytester, vault: dict[str, dict[str, str]]) -> None:
    pytester.makeconftest(VAULT_CONFTEST)
    (pytester.path / "vault.json").write_text(json.dumps(vault), encoding="utf-8")


# pytest_tm_auth_credentials


def test_vault_credentials_are_used_instead_of_the_environment(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XRAY_CLIENT_SECRET", STALE)
    write_vault(pytester, {"xray": {"xray_client_secret": DEMO.xray_client_secret}})
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(3))
        def test_xray(xray_token, n):
            assert xray_token

        def test_jira_is_not_in_the_vault(jira_session):
            assert jira_session.get("myself").ok
        """
    )

    result = pytester.runpytest("-p", "no:cacheprovider", "-vv")

    result.assert_outcomes(passed=4)
    assert cloud_env.count("xray.authenticate", status=200) == 1
    assert cloud_env.count(status=401) == 0  # the stale secret in the environment never went out
    assert lines(pytester.path / "asked.txt") == ["xray", "jira"]  # once each; zephyr unused
    assert STALE not in result.stdout.str()
    assert DEMO.xray_client_secret not in result.stdout.str()


def test_vault_can_configure_a_provider_the_settings_leave_unset(
    pytester: pytest.Pytester, sandbox: Sandbox
) -> None:
    settings = sandbox.settings("cloud")
    xray = {name: value for name, value in settings.items() if name.startswith("xray_")}
    write_vault(pytester, {"xray": xray})
    pytester.makepyfile(
        """
        def test_xray(xray_session):
            assert xray_session.post("graphql", json={"query": "{}"}).ok
        """
    )

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "tm-auth: xray credentials from the pytest_tm_auth_credentials hook (conftest.py) "
            "on first use"
        ]
    )
    assert sandbox.count("xray.authenticate", status=200) == 1


def test_unknown_setting_from_the_hook_fails_naming_it_without_a_request(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    write_vault(pytester, {"xray": {"xray_client_secrett": DEMO.xray_client_secret}})
    pytester.makepyfile(TWO_XRAY_TESTS)

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*the pytest_tm_auth_credentials hook (conftest.py) supplied an unknown setting "
            "'xray_client_secrett'"
        ]
        * 2
    )
    assert lines(pytester.path / "asked.txt") == ["xray"]  # the failure is remembered
    assert cloud_env.count() == 0


def test_hook_raising_missing_credentials_skips_with_its_own_reason(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makeconftest(
        """
        from pytest_tm_auth import MissingCredentials

        def pytest_tm_auth_credentials(provider):
            if provider.name == "xray":
                raise MissingCredentials("no VAULT_TOKEN on this machine")
        """
    )
    pytester.makepyfile(
        """
        def test_xray(xray_token): pass
        def test_jira(jira_session): assert jira_session.get("myself").ok
        """
    )

    result = pytester.runpytest("-p", "no:cacheprovider", "-rs")

    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED * no VAULT_TOKEN on this machine"])
    result.stdout.fnmatch_lines(["xray: skipped 1 test: no VAULT_TOKEN on this machine"])
    assert cloud_env.count("xray") == 0


def test_hook_raising_an_unexpected_error_fails_each_test_once_without_a_traceback(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makeconftest(
        """
        from pathlib import Path

        def pytest_tm_auth_credentials(provider):
            if provider.name == "xray":
                with Path("asked.txt").open("a") as asked:
                    asked.write("xray\\n")
                raise ConnectionError("vault.example.invalid is unreachable")
        """
    )
    pytester.makepyfile(TWO_XRAY_TESTS)

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        ["*Xray login failed*a hook or provider raised ConnectionError: vault.example.invalid*"] * 2
    )
    assert "Traceback" not in result.stdout.str()
    assert lines(pytester.path / "asked.txt") == ["xray"]  # asked once, failure remembered
    assert cloud_env.count("xray") == 0


def test_hook_raising_the_base_error_fails_with_its_message_and_no_traceback(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makeconftest(
        """
        from pytest_tm_auth import TmAuthError

        def pytest_tm_auth_credentials(provider):
            if provider.name == "xray":
                raise TmAuthError("the vault is sealed: run `vault operator unseal`")
        """
    )
    pytester.makepyfile("def test_xray(xray_token): pass")

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*the vault is sealed: run `vault operator unseal`"])
    assert "Traceback" not in result.stdout.str()
    assert "registry.py" not in result.stdout.str()


@pytest.mark.parametrize(("outcome", "seen"), [("fail", "errors"), ("skip", "skipped")])
def test_a_hook_failing_or_skipping_is_remembered_for_the_run(
    pytester: pytest.Pytester, cloud_env: Sandbox, outcome: str, seen: str
) -> None:
    """Asked through ``tm_auth`` in each test (no fixture cache): the hook still runs once."""
    pytester.makeconftest(
        f"""
        from pathlib import Path

        import pytest

        def pytest_tm_auth_credentials(provider):
            if provider.name == "xray":
                with Path("asked.txt").open("a") as asked:
                    asked.write("xray\\n")
                pytest.{outcome}("the vault said no")
        """
    )
    pytester.makepyfile(
        """
        def test_one(tm_auth): tm_auth.session("xray")
        def test_two(tm_auth): tm_auth.session("xray")
        """
    )

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(**{"failed" if seen == "errors" else seen: 2})
    assert lines(pytester.path / "asked.txt") == ["xray"]
    assert cloud_env.count("xray") == 0


# pytest_tm_auth_authenticate


def test_wrapped_login_is_observed_and_its_result_changed(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    (pytester.path / "issued.txt").write_text(cloud_env.issue_xray_token(), encoding="utf-8")
    pytester.makeconftest(
        """
        from pathlib import Path

        import pytest

        from pytest_tm_auth import Token

        HERE = Path(__file__).parent

        def seen(line):
            with (HERE / "seen.txt").open("a") as file:
                file.write(line + "\\n")

        @pytest.hookimpl(wrapper=True)
        def pytest_tm_auth_authenticate(login):
            seen(f"before {login.provider.name} {login.target.deployment}")
            token = yield
            seen(f"after {login.provider.name} {token.scheme}")
            if login.provider.name == "xray":
                return Token.from_jwt("xray", (HERE / "issued.txt").read_text())
            return token
        """
    )
    pytester.makepyfile(
        """
        from pathlib import Path

        def test_xray(xray_token, xray_session):
            assert str(xray_token) == Path("issued.txt").read_text()
            assert xray_session.post("graphql", json={"query": "{}"}).ok

        def test_jira(jira_session):
            assert jira_session.get("myself").ok
        """
    )

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=2)
    assert lines(pytester.path / "seen.txt") == [
        "before xray cloud",
        "after xray Bearer",
        "before jira cloud",
        "after jira Basic",
    ]
    assert cloud_env.count("xray.authenticate", status=200) == 1  # the built-in ran inside
    assert cloud_env.count("xray.graphql", status=200) == 1


def test_wrapper_sees_a_failed_login_and_may_reword_it(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XRAY_CLIENT_SECRET", STALE)
    pytester.makeconftest(
        """
        import pytest

        from pytest_tm_auth import AuthError

        @pytest.hookimpl(wrapper=True)
        def pytest_tm_auth_authenticate(login):
            try:
                return (yield)
            except AuthError as error:
                raise AuthError(
                    error.provider, error.url, error.problem, fix="ask #ci-secrets for a new key"
                ) from None
        """
    )
    pytester.makepyfile(TWO_XRAY_TESTS)

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(["*Xray login failed at *: *401* — ask #ci-secrets for a new key"])
    assert cloud_env.count("xray.authenticate") == 1  # remembered: never tried again


def test_replacing_login_is_used_instead_of_the_built_in(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    (pytester.path / "issued.txt").write_text(cloud_env.issue_xray_token(), encoding="utf-8")
    pytester.makeconftest(
        """
        from pathlib import Path

        from pytest_tm_auth import Token

        def pytest_tm_auth_authenticate(login):
            if login.provider.name != "xray":
                return None  # the built-in login handles the others
            issued = (Path(__file__).parent / "issued.txt").read_text()
            return Token.from_jwt("xray", issued)
        """
    )
    pytester.makepyfile(
        """
        def test_xray(xray_session):
            assert xray_session.post("graphql", json={"query": "{}"}).ok

        def test_jira(jira_session):
            assert jira_session.get("myself").ok
        """
    )

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=2)
    assert cloud_env.count("xray.authenticate") == 0
    assert cloud_env.count("xray.graphql", status=200) == 1
    assert cloud_env.count("jira.myself", status=200) == 2  # built-in login check + the test
    result.stdout.fnmatch_lines(["xray: authenticated in * s (expires * UTC)"])


# pytest_tm_auth_authenticated


def check_notified_once_each(notified: list[str]) -> None:
    assert sorted(line.split(" ", 3)[:3] for line in notified) == [
        ["jira", "jira", "Basic"],
        ["xray", "xray", "Bearer"],
        ["zephyr", "zephyr", "Bearer"],
    ]
    text = "\n".join(notified)
    assert "eyJ" not in text  # the repr of a token never shows a JWT
    assert DEMO.jira_api_token not in text


def test_authenticated_is_called_once_per_provider_per_run(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makeconftest(NOTIFIED_CONFTEST)
    pytester.makepyfile(ALL_PROVIDERS_TESTS)

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=6)

    check_notified_once_each(lines(pytester.path / "notified.txt"))
    assert cloud_env.count("xray.authenticate") == 1


def test_authenticated_is_called_once_per_provider_under_xdist(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makeconftest(NOTIFIED_CONFTEST)
    pytester.makepyfile(ALL_PROVIDERS_TESTS)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")

    result.assert_outcomes(passed=6)
    check_notified_once_each(lines(pytester.path / "notified.txt"))
    assert cloud_env.count("xray.authenticate") == 1


# pytest_tm_auth_session


def test_session_hook_adjusts_each_provider_session_once(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makeconftest(
        """
        from pathlib import Path

        def pytest_tm_auth_session(provider, session):
            with (Path(__file__).parent / "adjusted.txt").open("a") as adjusted:
                adjusted.write(provider.name + "\\n")
            session.headers["X-Request-Source"] = "pytest"
        """
    )
    pytester.makepyfile(ALL_PROVIDERS_TESTS)

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=6)

    assert sorted(lines(pytester.path / "adjusted.txt")) == ["jira", "xray", "zephyr"]
    by_route = {entry.route: entry.headers.get("x-request-source") for entry in cloud_env.requests}
    assert by_route["xray.graphql"] == by_route["zephyr.projects"] == "pytest"
    assert by_route["xray.authenticate"] is None  # login calls are not test sessions
    assert cloud_env.count("xray.graphql") == 6


# optionalhook


def test_optional_implementations_let_a_run_disable_the_plugin(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.hookimpl(optionalhook=True)
        def pytest_tm_auth_add_providers():
            return []

        @pytest.hookimpl(optionalhook=True)
        def pytest_tm_auth_credentials(provider, config):
            return None

        @pytest.hookimpl(optionalhook=True)
        def pytest_tm_auth_authenticate(login):
            return None

        @pytest.hookimpl(optionalhook=True)
        def pytest_tm_auth_authenticated(provider, token):
            pass

        @pytest.hookimpl(optionalhook=True)
        def pytest_tm_auth_session(provider, session):
            pass
        """
    )
    pytester.makepyfile("def test_plain(): pass")

    pytester.runpytest("-p", "no:cacheprovider", "-p", "no:tm_auth").assert_outcomes(passed=1)


def test_a_hook_may_end_the_run_with_pytest_exit(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makeconftest(
        """
        import pytest

        def pytest_tm_auth_credentials(provider):
            if provider.name == "xray":
                pytest.exit("the vault is down", returncode=3)
        """
    )
    pytester.makepyfile(
        """
        def test_one(xray_token): pass
        def test_two(): pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")

    assert result.ret == 3
    result.stdout.fnmatch_lines(["*Exit: the vault is down*"])
    result.stdout.no_fnmatch_line("*2 passed*")


def test_a_token_from_a_replacing_login_is_renewed_on_401(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    """A team's SSO token has no known expiry but is not static: a 401 means log in again."""
    pytester.makeconftest(
        """
        from pathlib import Path

        from pytest_tm_auth import Token

        def pytest_tm_auth_authenticate(login):
            if login.provider.name != "xray":
                return None
            with Path("logins.txt").open("a") as logins:
                logins.write("xray\\n")
            answer = login.http.post(
                login.target.api_url + "authenticate",
                json={
                    "client_id": login.values.text("xray_client_id"),
                    "client_secret": login.values.text("xray_client_secret"),
                },
            )
            return Token.bearer("xray", answer.json())
        """
    )
    pytester.makepyfile(
        """
        def test_refused_then_renewed(xray_session):
            assert xray_session.post("graphql", json={"query": "{}"}).status_code == 200
        """
    )
    cloud_env.add_faults(
        Fault(401, body='{"error": "token revoked"}', content_type="application/json"),
        route="xray.graphql",
    )

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)
    assert lines(pytester.path / "logins.txt") == ["xray", "xray"]


def test_a_provider_whose_settings_lack_a_comma_gets_a_usage_error(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
        from pytest_tm_auth import Setting

        class Tracker:
            name = "tracker"
            title = "Tracker"
            settings = (Setting("tracker_url", "Tracker URL"))

            def target(self, values): ...
            def authenticate(self, login): ...

        def pytest_tm_auth_add_providers():
            return [Tracker()]
        """
    )
    pytester.makepyfile("def test_nothing(): pass")

    result = pytester.runpytest("-p", "no:cacheprovider")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*'tracker': settings must be a tuple of Setting objects*"])
