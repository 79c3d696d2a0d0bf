"""A provider a team writes gets everything the built-ins get, from one declaration.

The conftest below is a complete TestRail provider written against the public API only,
as docs/providers.md walks a newcomer through it. It talks to the TestRail recipe's stand-in
service, added to a stand-in of this module's own.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from examples.recipes.testrail import standin
from pytest_tm_auth.sandbox import Sandbox

PROVIDER_CONFTEST = """
import pytest

from pytest_tm_auth import Setting, Target, Token, api_base, missing, site_url

URL = Setting("testrail_url", "TestRail site", label="url", metavar="URL")
USER = Setting("testrail_user", "TestRail user", label="user")
API_KEY = Setting("testrail_api_key", "TestRail API key", secret=True, label="API key")


class TestRailProvider:
    name = "testrail"
    title = "TestRail"
    settings = (URL, USER, API_KEY)

    def target(self, values):
        unset = [setting for setting in self.settings if not values.text(setting.name)]
        if unset:
            raise missing(self.title, ("", unset))
        url = site_url(values, URL.name)
        return Target("server", url, api_base(url), (USER.name, API_KEY.name))

    def authenticate(self, login):
        from pytest_tm_auth import verify_token

        user, key = login.values.text(USER.name), login.values.text(API_KEY.name)
        token = Token.basic(self.name, user, key)
        return verify_token(login, token, "index.php?/api/v2/get_current_user")


def pytest_tm_auth_add_providers():
    return [TestRailProvider()]


@pytest.fixture(scope="session")
def testrail_session(tm_auth):
    return tm_auth.session("testrail")
"""

NOTIFIED = """

def pytest_tm_auth_authenticated(provider, token):
    from pathlib import Path

    with (Path(__file__).parent / "notified.txt").open("a") as notified:
        notified.write(provider.name + "\\n")
"""

USES_TESTRAIL = """
import pytest

@pytest.mark.parametrize("n", range(3))
def test_case(testrail_session, n):
    response = testrail_session.get("index.php?/api/v2/get_case/1")
    assert response.status_code == 200, response.text

def test_token_by_name(tm_auth):
    assert tm_auth.token("testrail").scheme == "Basic"
"""

WALKTHROUGH = Path(__file__).resolve().parent.parent / "docs" / "providers.md"
SOURCES = ("option", "env", ".env", "ini")
STALE = "demo-stale-value-not-real"


@pytest.fixture
def sandbox(testrail_server: Sandbox) -> Sandbox:
    """A stand-in that serves the recipe's TestRail, reset for this test."""
    testrail_server.reset()
    return testrail_server


def sandbox_testrail(sandbox: Sandbox) -> dict[str, str]:
    return {
        name: value
        for name, value in sandbox.settings("cloud").items()
        if name.startswith("testrail_")
    }


def put(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    settings: dict[str, str],
) -> list[str]:
    """Write ``settings`` into one source; returns the command-line arguments to pass."""
    if source == "option":
        return [f"--{name.replace('_', '-')}={value}" for name, value in settings.items()]
    if source == "env":
        for name, value in settings.items():
            monkeypatch.setenv(name.upper(), value)
    elif source == ".env":
        text = "".join(f"{name.upper()}={value}\n" for name, value in settings.items())
        (pytester.path / ".env").write_text(text, encoding="utf-8")
    else:
        text = "".join(f"{name} = {value}\n" for name, value in settings.items())
        pytester.makeini("[pytest]\n" + text)
    return []


def copy_standin(pytester: pytest.Pytester) -> None:
    """The recipe's stand-in TestRail, copied beside the walkthrough's files as it says."""
    (pytester.path / "standin.py").write_text(Path(standin.__file__).read_text("utf-8"), "utf-8")


def walkthrough_files() -> dict[str, str]:
    """The files the walkthrough in docs/providers.md has a newcomer write, by name."""
    text = WALKTHROUGH.read_text(encoding="utf-8")
    return dict(re.findall(r'```python title="([^"]+)"\n(.*?)```', text, re.DOTALL))


def test_the_walkthrough_ends_in_a_passing_test(pytester: pytest.Pytester) -> None:
    files = walkthrough_files()
    assert sorted(files) == ["conftest.py", "test_testrail.py"]
    for name, code in files.items():
        (pytester.path / name).write_text(code, encoding="utf-8")
    copy_standin(pytester)

    result = pytester.runpytest("-p", "no:cacheprovider", "--tm-auth-sandbox")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "tm-auth: testrail server http://127.0.0.1:*/testrail "
            "(user demo….com from sandbox, API key from sandbox)",
            "testrail: authenticated in * s",
        ]
    )
    unconfigured = pytester.runpytest("-p", "no:cacheprovider", "-rs")
    unconfigured.assert_outcomes(skipped=1)
    unconfigured.stdout.fnmatch_lines(["*set TESTRAIL_URL and TESTRAIL_USER and TESTRAIL_API_KEY*"])


def test_the_readme_walkthrough_passes_against_the_testrail_standin(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its code works configured by hand, through the environment, as against a real TestRail."""
    for name, code in walkthrough_files().items():
        (pytester.path / name).write_text(code, encoding="utf-8")
    put(pytester, monkeypatch, "env", sandbox_testrail(sandbox))

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            f"tm-auth: testrail server {sandbox.url}/testrail "
            "(user demo….com from env, API key from env)",
            "testrail: authenticated in * s",
        ]
    )
    assert sandbox.count("testrail.user", status=200) == 1
    assert sandbox.count("testrail.case", status=200) == 1


def test_its_settings_appear_in_help_with_their_variables(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PROVIDER_CONFTEST)

    result = pytester.runpytest("--help")

    output = result.stdout.str()
    flat = " ".join(output.split())
    group = flat.index("test-management authentication (pytest-tm-auth):")
    assert group < flat.index("--testrail-url=URL TestRail site [env TESTRAIL_URL]")
    assert "--testrail-user=VALUE TestRail user [env TESTRAIL_USER]" in flat
    assert "--testrail-api-key=SECRET TestRail API key [env TESTRAIL_API_KEY]" in flat
    assert "testrail_api_key (string): TestRail API key (tm-auth)" in flat


@pytest.mark.parametrize("source", SOURCES)
def test_settings_resolve_from_each_source_by_precedence(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    pytester.makeconftest(PROVIDER_CONFTEST)
    pytester.makepyfile(USES_TESTRAIL)
    args = put(pytester, monkeypatch, source, sandbox_testrail(sandbox))
    for lower in SOURCES[SOURCES.index(source) + 1 :]:  # stale keys lose to the chosen source
        args += put(pytester, monkeypatch, lower, {"testrail_api_key": STALE})

    result = pytester.runpytest("-p", "no:cacheprovider", *args)

    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        [
            f"tm-auth: testrail server {sandbox.url}/testrail "
            f"(user demo….com from {source}, API key from {source})",
        ]
    )
    assert sandbox.count("testrail.user", status=200) == 1
    assert sandbox.count("testrail.case", status=200) == 3
    assert sandbox.count(status=401) == 0
    assert standin.API_KEY not in result.stdout.str()


def test_a_secret_in_ini_is_warned_about_like_a_built_in_one(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(PROVIDER_CONFTEST)
    pytester.makepyfile("def test_nothing(): pass")
    put(pytester, monkeypatch, "ini", sandbox_testrail(sandbox))

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*SecretInIniWarning: testrail_api_key is a secret written in*"])
    assert standin.API_KEY not in result.stdout.str()


def test_missing_settings_skip_its_tests_naming_them_without_a_request(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(PROVIDER_CONFTEST)
    pytester.makepyfile(USES_TESTRAIL)
    settings = sandbox_testrail(sandbox)
    del settings["testrail_api_key"]
    put(pytester, monkeypatch, "env", settings)

    result = pytester.runpytest("-p", "no:cacheprovider", "-rs")

    result.assert_outcomes(skipped=4)
    reason = "TestRail credentials not set: set TESTRAIL_API_KEY (--testrail-api-key)"
    result.stdout.fnmatch_lines(
        ["tm-auth: testrail not configured", f"testrail: skipped 4 tests: {reason}"]
    )
    assert sandbox.count() == 0


def test_missing_settings_fail_its_tests_when_asked_to(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PROVIDER_CONFTEST)
    pytester.makepyfile(USES_TESTRAIL)

    result = pytester.runpytest("-p", "no:cacheprovider", "--tm-auth-on-missing=fail")

    result.assert_outcomes(failed=1, errors=3)
    result.stdout.fnmatch_lines(["*TestRail credentials not set: set TESTRAIL_URL and *"])


def test_a_failed_login_is_tried_once_and_reported_to_every_test(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(PROVIDER_CONFTEST)
    pytester.makepyfile(USES_TESTRAIL)
    put(pytester, monkeypatch, "env", sandbox_testrail(sandbox) | {"testrail_api_key": STALE})

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(failed=1, errors=3)
    login_url = f"{sandbox.url}/testrail/index.php?/api/v2/get_current_user"
    result.stdout.fnmatch_lines([f"*TestRail login failed at {login_url}: *401*"] * 4)
    assert sandbox.count("testrail.user") == 1
    assert STALE not in result.stdout.str()


def test_plain_http_to_a_remote_host_is_refused_at_start(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(PROVIDER_CONFTEST)
    pytester.makepyfile(USES_TESTRAIL)
    put(pytester, monkeypatch, "env", sandbox_testrail(sandbox))
    monkeypatch.setenv("TESTRAIL_URL", "http://testrail.example.com")

    result = pytester.runpytest("-p", "no:cacheprovider")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: Refusing plain http:// URL 'http://testrail.example.com' in --testrail-url*"]
    )


def test_a_provider_added_too_late_is_an_error_naming_the_fix(pytester: pytest.Pytester) -> None:
    sub = pytester.mkdir("sub")
    (sub / "conftest.py").write_text(PROVIDER_CONFTEST, encoding="utf-8")
    (sub / "test_sub.py").write_text(USES_TESTRAIL, encoding="utf-8")

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*tm-auth provider 'testrail' was added after startup*"])


def test_a_badly_named_setting_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PROVIDER_CONFTEST.replace('"testrail_user"', '"user"'))

    result = pytester.runpytest("-p", "no:cacheprovider")

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: tm-auth provider 'testrail': setting 'user' must start with 'testrail_'"]
    )


def test_it_logs_in_once_for_the_whole_run_under_xdist(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(PROVIDER_CONFTEST + NOTIFIED)
    pytester.makepyfile(USES_TESTRAIL)
    put(pytester, monkeypatch, "env", sandbox_testrail(sandbox))

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")

    result.assert_outcomes(passed=4)
    assert sandbox.count("testrail.user") == 1
    notified = Path(pytester.path / "notified.txt").read_text(encoding="utf-8").split()
    assert notified == ["testrail"]
