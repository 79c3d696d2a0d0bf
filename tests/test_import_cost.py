"""Being installed costs nothing: the heavy modules load only when a provider is used.

Most pytest runs where the plugin is installed never touch a service (unit tests,
``--collect-only``, IDE discovery). These tests count modules, not milliseconds: what is
not imported cannot cost time, on any machine.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from pytest_tm_auth.sandbox import Sandbox
from tests.stored import command, output, xray_settings

#: Modules that cost tens of milliseconds each, or start a server: loaded on first use only.
HEAVY = (
    "requests",
    "urllib3",
    "dotenv",
    "keyring",
    "pytest_tm_auth.sandbox",
    "pytest_tm_auth.http",
)

#: A test module that reports which heavy modules the run has imported by test time.
REPORT_HEAVY_MODULES = f"""
    import json
    import sys

    HEAVY = {HEAVY!r}

    def test_report_heavy_modules():
        loaded = sorted(name for name in HEAVY if name in sys.modules)
        print("HEAVY=" + json.dumps(loaded))
"""


def heavy_modules_at_test_time(result: pytest.RunResult) -> list[str]:
    """The heavy modules the inner run had imported, as its only test printed them."""
    result.assert_outcomes(passed=1)
    found = re.search(r"HEAVY=(\[.*?\])", result.stdout.str())
    assert found is not None, result.stdout.str()
    loaded: list[str] = json.loads(found.group(1))
    return loaded


def test_importing_the_plugin_leaves_heavy_modules_out(pytester: pytest.Pytester) -> None:
    """A fresh interpreter importing the plugin module imports none of the heavy modules."""
    result = pytester.run(
        sys.executable,
        "-c",
        "import json, sys\n"
        "import pytest_tm_auth.plugin\n"
        f"print(json.dumps(sorted(name for name in {HEAVY!r} if name in sys.modules)))\n",
    )
    assert result.ret == 0, result.stderr.str()
    assert json.loads(result.outlines[-1]) == []


def test_a_configured_run_that_uses_no_fixture_imports_nothing_heavy(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    """Credentials in the environment, plugin active, no fixture asked: still nothing heavy.

    A subprocess, because the in-process runner shares this process's ``sys.modules``.
    """
    pytester.makepyfile(test_inner=REPORT_HEAVY_MODULES)
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider", "-p", "no:xdist")
    assert heavy_modules_at_test_time(result) == []
    result.stdout.fnmatch_lines(["tm-auth: xray cloud http://127.0.0.1:*"])
    assert cloud_env.count() == 0


#: What parsing a URL costs: urllib.parse imports ipaddress (about 13 M instructions).
URL_PARSERS = ("urllib.parse", "ipaddress")


def test_a_quiet_configured_run_checks_its_urls_without_a_url_parser(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stand-in's loopback URLs are checked at start without urllib.parse or ipaddress:
    the plugin adds neither to what the same run imports with it blocked."""
    pytester.makepyfile(
        test_inner=REPORT_HEAVY_MODULES.replace(f"HEAVY = {HEAVY!r}", f"HEAVY = {URL_PARSERS!r}")
    )
    # Without the other plugins this environment holds (reporters import urllib.parse); and
    # against pytest alone, whose pathlib imports it before Python 3.13.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    quiet = ("-q", "-s", "-p", "no:cacheprovider")
    alone = heavy_modules_at_test_time(pytester.runpytest_subprocess(*quiet))
    result = pytester.runpytest_subprocess(*quiet, "-p", "pytest_tm_auth.plugin")
    assert heavy_modules_at_test_time(result) == alone
    if sys.version_info >= (3, 13):
        assert alone == []  # so the comparison above compares something
    assert cloud_env.count() == 0


def test_a_dotenv_file_shown_in_the_header_costs_only_dotenv(
    pytester: pytest.Pytester, sandbox: Sandbox
) -> None:
    """The header names each setting's source, so it reads ``.env``: with python-dotenv and
    nothing else, no requests, no network."""
    write_env_file(pytester, sandbox)
    pytester.makepyfile(test_inner=REPORT_HEAVY_MODULES)
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider", "-p", "no:xdist")
    assert heavy_modules_at_test_time(result) == ["dotenv"]
    result.stdout.fnmatch_lines(["tm-auth: xray cloud http://127.0.0.1:* (*.env*"])
    assert sandbox.count() == 0


def test_a_quiet_run_with_a_dotenv_file_imports_nothing_heavy(
    pytester: pytest.Pytester, sandbox: Sandbox
) -> None:
    """Without the header and without a test asking for a provider, ``.env`` stays unread."""
    write_env_file(pytester, sandbox)
    pytester.makepyfile(test_inner=REPORT_HEAVY_MODULES)
    result = pytester.runpytest_subprocess("-q", "-s", "-p", "no:cacheprovider", "-p", "no:xdist")
    assert heavy_modules_at_test_time(result) == []
    assert sandbox.count() == 0


def write_env_file(pytester: pytest.Pytester, sandbox: Sandbox) -> None:
    dotenv = "".join(f"{name}={value}\n" for name, value in sandbox.env("cloud").items())
    (pytester.path / ".env").write_text(dotenv, encoding="utf-8")


def test_using_a_fixture_is_what_loads_requests(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    """The counterpart: the same report after a test used ``zephyr_session`` shows requests
    loaded, so the checks above can tell laziness from a broken probe."""
    pytester.makepyfile(
        test_inner=REPORT_HEAVY_MODULES.replace(
            "def test_report_heavy_modules():",
            "def test_report_heavy_modules(zephyr_session):",
        )
    )
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider", "-p", "no:xdist")
    loaded = heavy_modules_at_test_time(result)
    assert {"requests", "urllib3", "pytest_tm_auth.http"} <= set(loaded)
    assert "pytest_tm_auth.sandbox" not in loaded
    assert cloud_env.count("zephyr.projects") == 1


def test_login_time_and_reporter_modules_wait_for_their_use(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    """The Data Center login waits for a Data Center login, the allure-pytest redaction for
    allure-pytest writing results: a Cloud run without ``--alluredir`` imports neither,
    though a secret is set and allure-pytest is loaded."""
    waiting = ("pytest_tm_auth.providers.datacenter", "pytest_tm_auth.run.redaction.allure")
    pytester.makepyfile(
        test_inner=REPORT_HEAVY_MODULES.replace(f"HEAVY = {HEAVY!r}", f"HEAVY = {waiting!r}")
    )
    quiet = ("-s", "-p", "no:xdist", "-p", "no:cacheprovider")
    for blocked in (("-p", "no:allure_pytest"), ()):
        result = pytester.runpytest_subprocess(*quiet, *blocked)
        assert heavy_modules_at_test_time(result) == []
    # Writing allure results, its redaction joins (what the leak matrix relies on).
    result = pytester.runpytest_subprocess(*quiet, f"--alluredir={pytester.path / 'allure'}")
    assert heavy_modules_at_test_time(result) == ["pytest_tm_auth.run.redaction.allure"]


def test_a_secret_in_the_keyring_is_read_only_by_a_login(
    pytester: pytest.Pytester,
    sandbox: Sandbox,
    stored_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A secret ``pytest-tm-auth login`` stored: the header names the keyring (from the
    index), but a run that uses no fixture never imports keyring; one that does, does."""
    for name, value in xray_settings(sandbox).items():
        monkeypatch.setenv(name, value)
    stored = command("login", "xray", stdin=sandbox.settings("cloud")["xray_client_secret"] + "\n")
    assert stored.returncode == 0, output(stored)
    pytester.makepyfile(test_inner=REPORT_HEAVY_MODULES)
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider", "-p", "no:xdist")
    assert heavy_modules_at_test_time(result) == []
    result.stdout.fnmatch_lines(["tm-auth: xray cloud * (*client secret from keyring)"])

    pytester.makepyfile(
        test_inner=REPORT_HEAVY_MODULES.replace("modules():", "modules(xray_token):")
    )
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider", "-p", "no:xdist")
    assert "keyring" in heavy_modules_at_test_time(result)
    assert sandbox.count("xray.authenticate", status=200) == 2  # the command's, the run's


#: The package's own modules (packages included) a run with credentials set and the header
#: shown imports by test time, and how many more its first Xray Cloud login adds. pytest
#: reads each through its assertion-rewriting hook in an installed wheel: a few hundred
#: microseconds apiece, paid by every run. Raise these only for a reason.
START_MODULES = 36  # 39 until the fragments joined their siblings (issue 21's rooms)
FIRST_LOGIN_MODULES = 5  # 8 until then (the auth, retries and a server's text, apart)

#: A test module that reports the package's own modules the run has imported by test time.
REPORT_OWN_MODULES = """
    import json
    import sys

    def test_report_own_modules():
        own = sorted(name for name in sys.modules if name.startswith("pytest_tm_auth"))
        print("OWN=" + json.dumps(own))
"""


def own_modules_at_test_time(pytester: pytest.Pytester, fixture: str = "") -> set[str]:
    """The package's modules (packages included) an inner run had imported by test time."""
    pytester.makepyfile(test_inner=REPORT_OWN_MODULES.replace("modules():", f"modules({fixture}):"))
    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(passed=1)
    found = re.search(r"OWN=(\[.*?\])", result.stdout.str())
    assert found is not None, result.stdout.str()
    return set(json.loads(found.group(1)))


def test_a_run_and_its_first_login_import_few_modules_of_ours(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    """Counted, not timed: the start-up set, and what the first login adds to it."""
    at_start = own_modules_at_test_time(pytester)
    after_login = own_modules_at_test_time(pytester, "xray_session")
    assert "pytest_tm_auth.run.startup" in at_start  # the probe sees the plugin at work
    assert len(at_start) <= START_MODULES, sorted(at_start)
    added = after_login - at_start
    assert "pytest_tm_auth.http.session" in added
    assert len(added) <= FIRST_LOGIN_MODULES, sorted(added)
    assert cloud_env.count("xray.authenticate") == 1
