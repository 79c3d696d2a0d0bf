"""``pytest-tm-auth login``: secrets verified by a login, stored in a real keyring backend
(keyrings.alt's file, chosen by ``PYTHON_KEYRING_BACKEND``), and read by the next run."""

from __future__ import annotations

import contextlib
import os
import select
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_tm_auth.sandbox import Sandbox
from tests.stored import (
    SCRIPT,
    XRAY_SECRET,
    command,
    index,
    keyring_entries,
    output,
    xray_settings,
)

SECRET = "demo-xray-client-secret-not-real"  # the stand-in's, as a user would type it
USES_XRAY = """
    def test_xray(xray_token):
        assert xray_token.startswith("ey")
"""


@pytest.fixture
def xray_settings_only(
    sandbox: Sandbox, stored_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Sandbox:
    """Xray Cloud at the stand-in, everything set but the client secret."""
    for name, value in xray_settings(sandbox).items():
        monkeypatch.setenv(name, value)
    return sandbox


@pytest.fixture
def logged_in(xray_settings_only: Sandbox) -> Sandbox:
    """``printf 'secret\\n' | pytest-tm-auth login xray`` has succeeded."""
    done = command("login", "xray", stdin=SECRET + "\n")
    assert done.returncode == 0, output(done)
    return xray_settings_only


def test_login_stores_the_secret_and_the_next_run_logs_in_with_it(
    xray_settings_only: Sandbox, pytester: pytest.Pytester
) -> None:
    done = command("login", "xray", stdin=SECRET + "\n")
    assert done.returncode == 0, output(done)
    url = os.environ["XRAY_URL"]
    assert done.stdout.splitlines() == [
        f"stored {XRAY_SECRET} for {url} in the keyring (PlaintextKeyring)",
        f"tm-auth: xray cloud {url} (client id demo…t-id from env, client secret from keyring)",
    ]
    assert SECRET not in output(done)
    assert index() == [{"setting": "xray_client_secret", "site": url, "providers": ["xray"]}]
    folder = Path(os.environ["XDG_CONFIG_HOME"]) / "pytest-tm-auth"
    if os.name != "nt":
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE((folder / "credentials.json").stat().st_mode) == 0o600
    assert SECRET not in (folder / "credentials.json").read_text(encoding="utf-8")
    assert xray_settings_only.count("xray.authenticate", status=200) == 1

    pytester.makepyfile(USES_XRAY)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"tm-auth: xray cloud {url} (*client secret from keyring)"])
    assert xray_settings_only.count("xray.authenticate", status=200) == 2
    assert SECRET not in result.stdout.str() + result.stderr.str()


def test_a_refused_secret_stores_nothing(xray_settings_only: Sandbox) -> None:
    done = command("login", "xray", stdin="demo-wrong-secret-not-real\n")
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"pytest-tm-auth: Xray login failed at {os.environ['XRAY_URL']}/api/v2/authenticate: "
        "HTTP 401: Authentication failed. Invalid client credentials! — check XRAY_CLIENT_ID "
        "and XRAY_CLIENT_SECRET (an Xray API key)"
    ]
    assert index() == []
    status = command("status")
    assert "nothing stored" in status.stdout
    assert "demo-wrong-secret-not-real" not in output(done) + output(status)


def test_no_secret_on_standard_input_stores_nothing(xray_settings_only: Sandbox) -> None:
    done = command("login", "xray", stdin="")
    assert (done.returncode, done.stderr) == (
        1,
        "pytest-tm-auth: no XRAY_CLIENT_SECRET given: nothing stored\n",
    )
    assert xray_settings_only.count() == 0


@pytest.mark.parametrize("source", ["env", ".env", "option"])
def test_a_higher_source_wins_over_the_keyring(
    logged_in: Sandbox, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    """A wrong secret in a higher source is the one tried: the keyring's is not read."""
    wrong = "demo-other-secret-not-real"
    args = ["-p", "no:cacheprovider", "-p", "no:xdist"]
    if source == "env":
        monkeypatch.setenv(XRAY_SECRET, wrong)
    elif source == ".env":
        (pytester.path / ".env").write_text(f"{XRAY_SECRET}={wrong}\n", encoding="utf-8")
    else:
        args.append(f"--xray-client-secret={wrong}")
    pytester.makepyfile(USES_XRAY)
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"tm-auth: xray cloud * (*client secret from {source})"])
    result.stdout.fnmatch_lines(["*Xray login failed at *: HTTP 401*"])
    assert "from keyring" not in result.stdout.str()


def test_the_keyring_wins_over_the_ini_file(logged_in: Sandbox, pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nxray_client_secret = demo-ini-secret-not-real\n")
    pytester.makepyfile(USES_XRAY)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    result.assert_outcomes(passed=1, warnings=1)  # the warning: a secret written in an ini file
    result.stdout.fnmatch_lines(["tm-auth: xray cloud * (*client secret from keyring)"])


def test_logout_removes_what_login_stored(logged_in: Sandbox, pytester: pytest.Pytester) -> None:
    done = command("logout", "xray")
    url = os.environ["XRAY_URL"]
    assert (done.returncode, done.stdout) == (
        0,
        f"removed {XRAY_SECRET} for {url} from the keyring (PlaintextKeyring)\n",
    )
    assert index() == []
    assert keyring_entries() == []
    assert command("logout").stdout == "nothing stored\n"
    pytester.makepyfile(USES_XRAY)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*Xray credentials not set: set XRAY_CLIENT_SECRET*"])


def test_status_names_what_is_stored_and_never_a_value(logged_in: Sandbox) -> None:
    """Also through ``python -m pytest_tm_auth``."""
    done = command("status")
    module = subprocess.run(
        [sys.executable, "-m", "pytest_tm_auth", "status"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == module.returncode == 0
    assert done.stdout == module.stdout
    lines = done.stdout.splitlines()
    assert lines[0] == "keyring: PlaintextKeyring (keyrings.alt.file)"
    assert lines[2] == f"xray: {XRAY_SECRET} for {os.environ['XRAY_URL']} (stored)"
    assert SECRET not in output(done) + output(module)


def test_two_jira_sites_do_not_collide(
    sandbox: Sandbox, stored_home: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Jira Cloud site and a Data Center one (the stand-in has both): one token each."""
    flows = {flow: sandbox.env(flow) for flow in ("cloud", "datacenter")}
    for env in flows.values():
        settings = {k: v for k, v in env.items() if k.startswith("JIRA_") and k != "JIRA_TOKEN"}
        done = command("login", "jira", stdin=env["JIRA_TOKEN"] + "\n", env=settings)
        assert done.returncode == 0, output(done)
    assert sorted(str(entry["site"]) for entry in index()) == sorted(
        env["JIRA_URL"] for env in flows.values()
    )
    pytester.makepyfile(
        """
        def test_jira(jira_session):
            assert jira_session.get("myself").status_code == 200
        """
    )
    for flow, env in flows.items():
        with monkeypatch.context() as patch:
            for name, value in env.items():
                if name.startswith("JIRA_") and name != "JIRA_TOKEN":
                    patch.setenv(name, value)
            result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(
            [f"tm-auth: jira {flow} {env['JIRA_URL']} (*token from keyring)"]
        )
    assert (
        sandbox.count("jira.myself", status=401) == sandbox.count("jiradc.myself", status=401) == 0
    )


def test_no_keyring_backend_in_the_run_is_a_warning_and_a_skip(
    logged_in: Sandbox, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    pytester.makepyfile(USES_XRAY)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist", "-rs")
    result.assert_outcomes(skipped=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*StoredCredentialWarning: tm-auth: XRAY_CLIENT_SECRET for * is stored in the keyring, "
            "but no keyring backend is available*; it is not set",
            "*Xray credentials not set: set XRAY_CLIENT_SECRET*",
        ]
    )
    assert "Traceback" not in result.stdout.str()
    assert logged_in.count("xray.authenticate") == 1  # the login's alone


def test_an_entry_gone_from_the_keyring_is_a_warning_and_a_skip(
    logged_in: Sandbox, pytester: pytest.Pytester
) -> None:
    keyring_file = Path(os.environ["XDG_DATA_HOME"]) / "python_keyring" / "keyring_pass.cfg"
    keyring_file.write_text("", encoding="utf-8")  # emptied behind the index's back
    pytester.makepyfile(USES_XRAY)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist", "-rs")
    result.assert_outcomes(skipped=1, warnings=1)
    result.stdout.fnmatch_lines(
        ["*StoredCredentialWarning: tm-auth: XRAY_CLIENT_SECRET for * is not in the keyring*"]
    )
    result.stdout.fnmatch_lines(["*XRAY_CLIENT_SECRET (keyring):1: StoredCredentialWarning: *"])
    assert "missing from the keyring" in command("status").stdout


def test_without_keyring_installed_login_says_what_to_install(xray_settings_only: Sandbox) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.modules['keyring'] = None\n"
            "from pytest_tm_auth.cli.main import run; run()",
            "login",
            "xray",
        ],
        input=SECRET + "\n",
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "pytest-tm-auth: cannot store secrets: keyring is not installed: "
        "pip install 'pytest-tm-auth[keyring]'\n"
    )
    assert xray_settings_only.count() == 0


def test_the_page_shows_what_login_prints(xray_settings_only: Sandbox) -> None:
    """docs/credentials.md's output block, with the stand-in's URL, id and backend."""
    from tests.test_docs import code_blocks

    (block,) = [b for b in code_blocks("docs/credentials.md") if b.language == "text"]
    done = command("login", "xray", stdin=SECRET + "\n")
    assert done.returncode == 0, output(done)
    shown = (
        block.code.replace("https://xray.cloud.getxray.app", os.environ["XRAY_URL"])
        .replace("32A2…E8E7", "demo…t-id")
        .replace("(Keyring)", "(PlaintextKeyring)")
    )
    assert done.stdout.splitlines() == shown.strip().splitlines()


def test_under_xdist_the_stored_secret_logs_in_once(
    logged_in: Sandbox, pytester: pytest.Pytester
) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(4))
        def test_xray(xray_session, n):
            assert xray_session.post("graphql", json={"query": "{ x }"}).status_code == 200
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=4)
    assert logged_in.count("xray.authenticate", status=200) == 2  # the command's, the run's


def test_at_a_terminal_the_secret_is_asked_for_without_echo(xray_settings_only: Sandbox) -> None:
    """A pseudo-terminal as standard input: getpass prompts on it and echoes nothing."""
    pty = pytest.importorskip("pty")
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [str(SCRIPT), "login", "xray"],
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=follower,
        start_new_session=True,  # no controlling terminal: getpass uses the one it is given
    ) as process:
        os.close(follower)
        seen = b""
        while b"XRAY_CLIENT_SECRET" not in seen:
            ready, _, _ = select.select([leader], [], [], 30)
            assert ready, f"no prompt in 30 s: {seen!r}"
            seen += os.read(leader, 1024)
        os.write(leader, SECRET.encode() + b"\n")
        stdout, _ = process.communicate(timeout=60)
        with contextlib.suppress(OSError):  # the terminal closes with the process
            seen += os.read(leader, 4096)
    os.close(leader)
    assert process.returncode == 0
    assert b"XRAY_CLIENT_SECRET (client secret for http://127.0.0.1:" in seen
    assert SECRET.encode() not in seen + stdout
    assert b"stored XRAY_CLIENT_SECRET" in stdout


def test_the_command_takes_settings_as_options(sandbox: Sandbox, stored_home: Path) -> None:
    cloud = sandbox.env("cloud")
    done = command(
        "login",
        "xray",
        f"--xray-url={cloud['XRAY_URL']}",
        f"--xray-client-id={cloud['XRAY_CLIENT_ID']}",
        stdin=SECRET + "\n",
    )
    assert done.returncode == 0, output(done)
    assert "client id demo…t-id from option, client secret from keyring" in done.stdout


def test_a_provider_with_nothing_configured_is_a_usage_error(stored_home: Path) -> None:
    done = command("login", "xray", stdin=SECRET + "\n")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("pytest-tm-auth: Xray credentials not set: set XRAY_CLIENT_ID")
    assert len(done.stderr.splitlines()) == 1
    assert index() == []


def test_a_hook_that_moves_the_provider_to_another_site_does_not_get_the_secret(
    logged_in: Sandbox, pytester: pytest.Pytester
) -> None:
    """A secret is stored for a site: a credentials hook that points the provider elsewhere
    makes the run look it up for that site, which holds none, so nothing is sent there."""
    with Sandbox() as elsewhere:
        pytester.makeconftest(
            f"""
            def pytest_tm_auth_credentials(provider):
                if provider.name == "xray":
                    return {{"xray_url": {elsewhere.settings("cloud")["xray_url"]!r}}}
            """
        )
        pytester.makepyfile(USES_XRAY)
        result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist", "-rs")
        assert elsewhere.count("xray.authenticate") == 0
    result.assert_outcomes(skipped=1, warnings=1)
    result.stdout.fnmatch_lines(["*XRAY_CLIENT_SECRET for http://127.0.0.1:* is not in the *"])
    assert logged_in.count("xray.authenticate") == 1  # the command's login alone


@pytest.mark.parametrize("closed", [False, True], ids=["end of input", "stdin closed"])
def test_no_input_at_the_prompt_stores_nothing_and_says_so(
    xray_settings_only: Sandbox, closed: bool
) -> None:
    close = "import os, sys; os.close(0); sys.stdin = None\n" if closed else ""
    script = close + "from pytest_tm_auth.cli.main import run; run()"
    done = subprocess.run(
        [sys.executable, "-c", script, "login", "xray"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    expected = (1, "", "pytest-tm-auth: no XRAY_CLIENT_SECRET given: nothing stored\n")
    assert (done.returncode, done.stdout, done.stderr) == expected
    assert index() == []
