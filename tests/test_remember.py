"""Remembered tokens: reused across runs until they expire, private, keyed, robust.

Each test has its own ``XDG_CACHE_HOME`` (tests/conftest.py), so the store a run writes is
the file read here. Logins are counted on the stand-in.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

# Imported before any in-process run, so that every run finds the same keyring module.
import keyring
import pytest
from jaraco.classes.properties import classproperty
from keyring.backend import KeyringBackend

from pytest_tm_auth.sandbox import DEMO, Sandbox

GRAPHQL = """
def test_graphql(xray_session):
    answer = xray_session.post("graphql", json={"query": "{ getTests(limit: 1) { total } }"})
    assert answer.status_code == 200, answer.text
"""
SECRETS = (DEMO.xray_client_secret, DEMO.zephyr_token, DEMO.jira_api_token)


def store_path() -> Path:
    return Path(os.environ["XDG_CACHE_HOME"]) / "pytest-tm-auth" / "tokens.json"


def stored() -> dict[str, dict[str, object]]:
    """The entries of the file store, checking that it is the plugin's format."""
    data = json.loads(store_path().read_text(encoding="utf-8"))
    assert data["format"] == 1
    tokens: dict[str, dict[str, object]] = data["tokens"]
    return tokens


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest("-p", "no:cacheprovider", "--tm-auth-remember", *args)


@pytest.fixture
def xray_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """Only Xray Cloud configured, against the stand-in."""
    monkeypatch.setenv("XRAY_URL", sandbox.url)
    monkeypatch.setenv("XRAY_CLIENT_ID", DEMO.xray_client_id)
    monkeypatch.setenv("XRAY_CLIENT_SECRET", DEMO.xray_client_secret)
    return sandbox


@pytest.fixture
def graphql(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(test_inner=GRAPHQL)
    return pytester


def test_second_run_reuses_the_token_without_a_login(
    graphql: pytest.Pytester, xray_env: Sandbox
) -> None:
    run(graphql).assert_outcomes(passed=1)
    assert xray_env.count("xray.authenticate") == 1

    second = run(graphql)

    second.assert_outcomes(passed=1)
    assert xray_env.count("xray.authenticate") == 1
    assert xray_env.count("xray.graphql", status=200) == 2
    second.stdout.fnmatch_lines(["xray: reused remembered token (expires *:* UTC)"])


def test_without_the_option_nothing_is_stored(graphql: pytest.Pytester, xray_env: Sandbox) -> None:
    graphql.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    graphql.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)

    assert xray_env.count("xray.authenticate") == 2
    assert not store_path().parent.exists()


@pytest.mark.parametrize(
    "how",
    [
        pytest.param(["--tm-auth-remember"], id="option"),
        pytest.param(["-o", "tm_auth_remember=true"], id="ini"),
        pytest.param([], id="env"),
    ],
)
def test_remember_is_a_setting_of_every_source(
    graphql: pytest.Pytester, xray_env: Sandbox, monkeypatch: pytest.MonkeyPatch, how: list[str]
) -> None:
    if not how:
        monkeypatch.setenv("TM_AUTH_REMEMBER", "1")
    for _ in range(2):
        graphql.runpytest("-p", "no:cacheprovider", *how).assert_outcomes(passed=1)

    assert xray_env.count("xray.authenticate") == 1


def test_token_the_service_expired_is_renewed_once_and_remembered_again(
    graphql: pytest.Pytester, xray_env: Sandbox
) -> None:
    run(graphql).assert_outcomes(passed=1)
    first = stored()
    xray_env.expire_tokens()

    run(graphql).assert_outcomes(passed=1)
    assert xray_env.count("xray.authenticate") == 2
    assert stored() != first

    run(graphql).assert_outcomes(passed=1)
    assert xray_env.count("xray.authenticate") == 2


@pytest.mark.parametrize(
    ("variable", "value", "outcome"),
    [
        ("XRAY_CLIENT_ID", DEMO.xray_other_region_client_id, {"errors": 1}),
        ("XRAY_CLIENT_SECRET", "demo-another-secret-not-real", {"errors": 1}),
        ("XRAY_URL", "localhost", {"passed": 1}),
    ],
)
def test_other_credentials_or_url_never_get_the_remembered_token(
    graphql: pytest.Pytester,
    xray_env: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    *,
    variable: str,
    value: str,
    outcome: dict[str, int],
) -> None:
    run(graphql).assert_outcomes(passed=1)
    if value == "localhost":
        value = xray_env.url.replace("127.0.0.1", "localhost")
    monkeypatch.setenv(variable, value)

    run(graphql).assert_outcomes(**outcome)

    assert xray_env.count("xray.authenticate") == 2


def test_reset_forgets_the_stored_tokens_first(graphql: pytest.Pytester, xray_env: Sandbox) -> None:
    run(graphql).assert_outcomes(passed=1)

    run(graphql, "--tm-auth-reset").assert_outcomes(passed=1)
    assert xray_env.count("xray.authenticate") == 2

    run(graphql).assert_outcomes(passed=1)
    assert xray_env.count("xray.authenticate") == 2


def test_reset_alone_empties_the_store(graphql: pytest.Pytester, xray_env: Sandbox) -> None:
    run(graphql).assert_outcomes(passed=1)
    assert len(stored()) == 1

    graphql.runpytest("-p", "no:cacheprovider", "--tm-auth-reset").assert_outcomes(passed=1)

    assert stored() == {}
    run(graphql).assert_outcomes(passed=1)
    assert xray_env.count("xray.authenticate") == 3


def test_reset_forgets_even_when_no_test_logs_in(
    graphql: pytest.Pytester, xray_env: Sandbox
) -> None:
    """Quiet, no fixture: nothing else needs the providers, the reset still happens."""
    run(graphql).assert_outcomes(passed=1)
    assert len(stored()) == 1
    graphql.makepyfile(test_inner="def test_plain(): pass")

    result = graphql.runpytest("-q", "-p", "no:cacheprovider", "--tm-auth-reset")

    result.assert_outcomes(passed=1)
    assert stored() == {}


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """A umask that would leave new files world-readable: the modes must not rely on it."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.usefixtures("permissive_umask")
def test_file_is_private_and_holds_only_the_expiring_token_no_secret(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    store_path().parent.mkdir(mode=0o755, parents=True)
    os.chmod(store_path().parent, 0o755)
    pytester.makepyfile(
        test_inner="""
        def test_all(xray_token, zephyr_session, jira_session):
            pass
        """
    )

    run(pytester).assert_outcomes(passed=1)
    run(pytester).assert_outcomes(passed=1)

    assert stat.S_IMODE(store_path().stat().st_mode) == 0o600
    assert stat.S_IMODE(store_path().parent.stat().st_mode) == 0o700
    text = store_path().read_text(encoding="utf-8")
    for secret in (*SECRETS, DEMO.xray_client_id):
        assert secret not in text
    (entry,) = stored().values()
    assert entry["provider"] == "xray"
    assert entry["scheme"] == "Bearer"
    assert isinstance(entry["expires_at"], float)
    # Zephyr and Jira tokens never expire: they are checked again, Xray is not.
    assert cloud_env.count("xray.authenticate") == 1
    assert cloud_env.count("zephyr.projects") == 2
    assert cloud_env.count("jira.myself") == 2
    leftovers = {path.name for path in store_path().parent.iterdir()} - {
        "tokens.json",
        "tokens.json.lock",
    }
    assert leftovers == set()


def test_corrupt_file_gives_a_warning_and_a_normal_login(
    graphql: pytest.Pytester, xray_env: Sandbox
) -> None:
    store_path().parent.mkdir(mode=0o700, parents=True)
    store_path().write_text('{"format": 1, "tokens": {"abc": ', encoding="utf-8")

    result = run(graphql)

    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        ["*TokenStoreWarning: tm-auth: remembered tokens not used: *tokens.json is corrupt*"]
    )
    result.stdout.fnmatch_lines(["*--tm-auth-remember (*):1: TokenStoreWarning: *"])
    assert xray_env.count("xray.authenticate") == 1
    assert len(stored()) == 1  # written again, whole


def test_unreadable_store_gives_a_warning_and_a_normal_login(
    graphql: pytest.Pytester, xray_env: Sandbox
) -> None:
    store_path().mkdir(parents=True)  # a directory where the file should be

    result = run(graphql)

    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*TokenStoreWarning: *cannot read *tokens.json*"])
    assert xray_env.count("xray.authenticate") == 1


def test_store_owned_by_another_user_is_not_used(
    graphql: pytest.Pytester, xray_env: Sandbox
) -> None:
    directory = store_path().parent
    directory.parent.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("only root can make a folder that another user owns")
    directory.mkdir(mode=0o700)
    os.chown(directory, 65534, 65534)

    result = run(graphql)

    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*TokenStoreWarning: *pytest-tm-auth belongs to another user*"])
    assert not (directory / "tokens.json").exists()
    assert xray_env.count("xray.authenticate") == 1


@pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges on Windows")
def test_a_cache_folder_that_is_a_symbolic_link_is_not_followed(
    graphql: pytest.Pytester, xray_env: Sandbox, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    elsewhere.chmod(0o755)
    directory = store_path().parent
    directory.parent.mkdir(parents=True, exist_ok=True)
    directory.symlink_to(elsewhere)

    result = run(graphql)

    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        ["*TokenStoreWarning: *pytest-tm-auth is a symbolic link, which is never followed*"]
    )
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o755
    assert os.listdir(elsewhere) == []
    assert xray_env.count("xray.authenticate") == 1


WRITER = """
import sys
from pathlib import Path
from pytest_tm_auth.store.memory import FileStore

store = FileStore(Path(sys.argv[1]))
for index in range(int(sys.argv[3])):
    store.put(f"{sys.argv[2]}-{index}", {"value": "t", "scheme": "Bearer", "expires_at": 4e9})
"""


def test_concurrent_writers_lose_no_entry(tmp_path: Path) -> None:
    directory = tmp_path / "store"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(directory), f"w{number}", "25"])
        for number in range(4)
    ]
    assert [writer.wait(timeout=60) for writer in writers] == [0] * 4

    data = json.loads((directory / "tokens.json").read_text(encoding="utf-8"))
    assert len(data["tokens"]) == 4 * 25
    assert stat.S_IMODE((directory / "tokens.json").stat().st_mode) == 0o600


def test_two_runs_writing_at_once_leave_a_valid_store(
    pytester: pytest.Pytester, xray_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_inner=GRAPHQL)
    urls = [xray_env.url, xray_env.url.replace("127.0.0.1", "localhost")]
    runs = []
    for url in urls:
        monkeypatch.setenv("XRAY_URL", url)
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--tm-auth-remember"]
        runs.append(pytester.popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    assert [process.wait(timeout=120) for process in runs] == [0, 0]

    assert len(stored()) == 2
    assert xray_env.count("xray.authenticate") == 2
    for url in urls:
        monkeypatch.setenv("XRAY_URL", url)
        run(pytester).assert_outcomes(passed=1)
    assert xray_env.count("xray.authenticate") == 2


def test_workers_get_the_remembered_token_from_the_controller(
    graphql: pytest.Pytester, xray_env: Sandbox
) -> None:
    run(graphql).assert_outcomes(passed=1)

    result = graphql.runpytest_subprocess("-p", "no:cacheprovider", "--tm-auth-remember", "-n", "2")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["xray: reused remembered token (expires *), shared with 1 worker"])
    assert xray_env.count("xray.authenticate") == 1


class MemoryKeyring(KeyringBackend):
    """A real keyring backend that keeps its entries in a dictionary.

    keyring considers every backend class it knows when it picks one itself: this one
    says it is unusable except while a test has installed it.
    """

    installed = False

    @classproperty
    def priority(cls) -> float:
        if not cls.installed:
            raise RuntimeError("only while a test installs it")
        return 1.0

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.entries[(service, username)]


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    before = keyring.get_keyring()
    backend = MemoryKeyring()
    MemoryKeyring.installed = True
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(before)
        MemoryKeyring.installed = False


def test_a_real_keyring_holds_the_token_instead_of_the_file(
    graphql: pytest.Pytester, xray_env: Sandbox, memory_keyring: MemoryKeyring
) -> None:
    run(graphql).assert_outcomes(passed=1)
    run(graphql).assert_outcomes(passed=1)

    assert xray_env.count("xray.authenticate") == 1
    assert not store_path().parent.exists()
    ((service, _key), text) = next(iter(memory_keyring.entries.items()))
    assert (service, len(memory_keyring.entries)) == ("pytest-tm-auth", 1)
    assert DEMO.xray_client_secret not in text
    assert json.loads(text)["provider"] == "xray"

    run(graphql, "--tm-auth-reset").assert_outcomes(passed=1)
    assert xray_env.count("xray.authenticate") == 2


def test_a_store_that_cannot_be_created_warns_once(
    graphql: pytest.Pytester, xray_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = Path(os.environ["XDG_CACHE_HOME"]) / "file-not-directory"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))

    result = run(graphql)

    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*TokenStoreWarning: *cannot create *"])
    assert xray_env.count("xray.authenticate") == 1


def test_without_keyring_installed_the_file_store_is_used(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['keyring'] = None; "
        "from pytest_tm_auth.store.memory import open_store; "
        f"print(open_store({{'XDG_CACHE_HOME': {str(tmp_path)!r}}}).where)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == str(tmp_path / "pytest-tm-auth" / "tokens.json"), done.stderr
