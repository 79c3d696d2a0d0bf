"""The index of stored secrets and the keyring under concurrent commands, what ``logout``
and ``status`` say about entries, and a config folder that is a symbolic link.

Real processes, the real console script, keyrings.alt's plaintext file as the keyring
(``stored_home``); the index lands in the test's own ``$XDG_CONFIG_HOME``.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
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

SECRET = "demo-xray-client-secret-not-real"
PROCESSES = 16
SITES_EACH = 4
#: One ``pytest-tm-auth login``'s storing step, as the command takes it after its login,
#: started by every process at once (when the file ``argv[2]`` appears), ``argv[3]`` sites.
STORER = """
import sys, time
from pathlib import Path
from pytest_tm_auth.cli.credentials import store_secrets
from pytest_tm_auth.store.keyring_store import KeyringSecrets
from pytest_tm_auth.store.stored_index import StoredIndex

secrets = KeyringSecrets()
while not Path(sys.argv[2]).exists():
    time.sleep(0.005)
for site in range(int(sys.argv[3])):
    url = f"https://site-{sys.argv[1]}-{site}.invalid"
    typed = {"jira_token": "demo-jira-token-not-real"}
    list(store_secrets("jira", typed, url, secrets, StoredIndex.of()))
"""


def keyring_file() -> Path:
    return Path(os.environ["XDG_DATA_HOME"]) / "python_keyring" / "keyring_pass.cfg"


def test_concurrent_logins_keep_every_entry_and_logout_strands_no_secret(
    stored_home: Path, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", STORER, str(number), str(go), str(SITES_EACH)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for number in range(PROCESSES)
    ]
    time.sleep(0.5)  # most have imported by now; the others start as soon as they have
    go.touch()
    for process in processes:
        _, error = process.communicate(timeout=120)
        assert process.returncode == 0, error

    assert len(index()) == PROCESSES * SITES_EACH
    assert len(keyring_entries()) == PROCESSES * SITES_EACH
    status = command("status").stdout.splitlines()
    assert sum(line.endswith("(stored)") for line in status) == PROCESSES * SITES_EACH, status
    done = command("logout")
    assert done.returncode == 0, output(done)
    assert done.stdout.count("removed JIRA_TOKEN") == PROCESSES * SITES_EACH
    assert "not in the keyring" not in done.stdout
    assert index() == []
    assert keyring_entries() == []


@pytest.fixture
def logged_in(sandbox: Sandbox, stored_home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """``pytest-tm-auth login xray`` stored the client secret; the Xray URL."""
    for name, value in xray_settings(sandbox).items():
        monkeypatch.setenv(name, value)
    done = command("login", "xray", stdin=SECRET + "\n")
    assert done.returncode == 0, output(done)
    return os.environ["XRAY_URL"]


def test_logout_says_when_an_entry_was_not_in_the_keyring(logged_in: str) -> None:
    keyring_file().write_text("", encoding="utf-8")  # emptied behind the index's back
    done = command("logout", "xray")
    assert (done.returncode, done.stdout) == (
        0,
        f"removed {XRAY_SECRET} for {logged_in} from the index; "
        "it was not in the keyring (PlaintextKeyring)\n",
    )
    assert index() == []


def test_status_names_every_provider_a_shared_entry_serves(
    sandbox: Sandbox, stored_home: Path
) -> None:
    """``login xray`` (Data Center) stores the Jira token for the Jira site; Jira and Zephyr
    Scale Data Center log in there with the same setting, so a run gives it to them too."""
    env = {k: v for k, v in sandbox.env("datacenter").items() if k != "JIRA_TOKEN"}
    done = command("login", "xray", stdin=sandbox.env("datacenter")["JIRA_TOKEN"] + "\n", env=env)
    assert done.returncode == 0, output(done)
    shown = command("status", env=env).stdout.splitlines()[2]
    assert shown == f"xray: JIRA_TOKEN for {env['JIRA_URL']} (stored; zephyr and jira use it too)"
    # Without those settings (another project), nothing says they would use it.
    alone = command("status").stdout.splitlines()[2]
    assert alone == f"xray: JIRA_TOKEN for {env['JIRA_URL']} (stored)"
    kept = command("logout", "jira", env=env)
    assert kept.stdout.splitlines() == [
        "nothing stored for jira",
        f"JIRA_TOKEN for {env['JIRA_URL']}, which xray's login stored, is used by jira too: "
        "pytest-tm-auth logout xray removes it",
    ]


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges on Windows")
def test_a_config_folder_that_is_a_symbolic_link_is_never_followed(
    sandbox: Sandbox, stored_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o755)
    elsewhere.chmod(0o755)
    folder = Path(os.environ["XDG_CONFIG_HOME"]) / "pytest-tm-auth"
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.symlink_to(elsewhere)
    for name, value in xray_settings(sandbox).items():
        monkeypatch.setenv(name, value)

    done = command("login", "xray", stdin=SECRET + "\n")
    status = command("status")

    assert done.returncode == status.returncode == 1
    for refused, said in ((done, "cannot store secrets: "), (status, "")):
        assert refused.stderr == (
            f"pytest-tm-auth: {said}{folder} is a symbolic link, which is never followed: "
            "remove it (a private folder is made in its place), or point the XDG variable at "
            "the real folder\n"
        )
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o755
    assert os.listdir(elsewhere) == []
    assert keyring_entries() == []


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges on Windows")
def test_a_run_reads_no_index_through_a_linked_folder_and_says_so(
    logged_in: str, tmp_path: Path, pytester: pytest.Pytester
) -> None:
    folder = Path(os.environ["XDG_CONFIG_HOME"]) / "pytest-tm-auth"
    moved = folder.rename(tmp_path / "moved")
    folder.symlink_to(moved)
    pytester.makepyfile("def test_xray(xray_token):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist", "-rs")
    result.assert_outcomes(skipped=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*StoredCredentialWarning: tm-auth: the secrets pytest-tm-auth login stored are not "
            f"used: {folder} is a symbolic link, which is never followed*",
            "*Xray credentials not set: set XRAY_CLIENT_SECRET*",
        ]
    )


@pytest.mark.parametrize("entry", [[str(SCRIPT)], [sys.executable, "-m", "pytest_tm_auth"]])
def test_status_into_a_closed_pipe_ends_without_a_traceback(
    logged_in: str, entry: list[str]
) -> None:
    """``pytest-tm-auth status | head -1``, with the reader gone before the first line."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run(
            [*entry, "status"],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(writer)
    assert (done.returncode, done.stderr) == (1, "")


def test_a_typed_secret_with_a_space_is_named_as_typed(
    sandbox: Sandbox, stored_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in xray_settings(sandbox).items():
        monkeypatch.setenv(name, value)
    done = command("login", "xray", stdin="demo secret with spaces not real\n")
    assert (done.returncode, done.stdout) == (2, ""), output(done)
    assert done.stderr == (
        "pytest-tm-auth: --xray-client-secret from the prompt contains a space or line break "
        "inside it, which a pasted secret never does: copy it again without surrounding text\n"
    )
    assert index() == []
    assert sandbox.count() == 0


def test_a_secret_is_never_stored_where_the_index_cannot_name_it(
    sandbox: Sandbox, stored_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index is written first: a secret in the keyring that no entry names would outlive
    every ``logout``."""
    for name, value in xray_settings(sandbox).items():
        monkeypatch.setenv(name, value)
    index_path = Path(os.environ["XDG_CONFIG_HOME"]) / "pytest-tm-auth" / "credentials.json"
    index_path.mkdir(parents=True)  # in the way of the index: it cannot be written

    done = command("login", "xray", stdin=SECRET + "\n")

    assert done.returncode == 1, output(done)
    assert done.stderr.startswith(f"pytest-tm-auth: cannot write {index_path}: "), done.stderr
    assert keyring_entries() == []
