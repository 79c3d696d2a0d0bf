"""Per-user folders and locks that are symbolic links are refused, never followed: a planted
link must not choose where the plugin writes, what it ``chmod``s or which file a lock
truncates (filelock before 3.20.1 followed a lock that was a link)."""

from __future__ import annotations

import os
import stat
from pathlib import Path, PosixPath

import pytest

from pytest_tm_auth.store.base import StoreError
from pytest_tm_auth.store.memory import FileStore
from pytest_tm_auth.store.private import private_directory
from pytest_tm_auth.store.stored_index import StoredIndex

pytestmark = pytest.mark.skipif(os.name == "nt", reason="symbolic links need privileges")

ENTRY = {"value": "demo-token-not-real", "scheme": "Bearer", "expires_at": 4e9}
VICTIM_TEXT = "a file of the user's that a planted lock points at\n"


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    path = tmp_path / "victim.txt"
    path.write_text(VICTIM_TEXT, encoding="utf-8")
    return path


def test_a_planted_cache_lock_link_is_refused_and_its_target_kept(
    tmp_path: Path, victim: Path
) -> None:
    store = FileStore(tmp_path / "cache")
    store.directory.mkdir(mode=0o700)
    (store.directory / "tokens.json.lock").symlink_to(victim)
    with pytest.raises(StoreError, match=r"tokens\.json\.lock is a symbolic link, which is never"):
        store.put("key", ENTRY)
    assert victim.read_text(encoding="utf-8") == VICTIM_TEXT
    assert not store.path.exists()


def test_a_planted_index_lock_link_is_refused_and_its_target_kept(
    tmp_path: Path, victim: Path
) -> None:
    index = StoredIndex(tmp_path / "config")
    index.directory.mkdir(mode=0o700)
    (index.directory / "credentials.json.lock").symlink_to(victim)
    with pytest.raises(StoreError, match=r"credentials\.json\.lock is a symbolic link"):
        index.add("xray", "xray_client_secret", "https://demo.invalid")
    assert victim.read_text(encoding="utf-8") == VICTIM_TEXT
    assert index.entries() == []


@pytest.mark.parametrize("reading", [False, True], ids=["write", "read"])
def test_a_cache_folder_that_is_a_link_is_refused_and_its_target_untouched(
    tmp_path: Path, reading: bool
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    elsewhere.chmod(0o755)
    (tmp_path / "cache").symlink_to(elsewhere)
    store = FileStore(tmp_path / "cache")
    with pytest.raises(StoreError, match=r"cache is a symbolic link, which is never followed"):
        store.get("key") if reading else store.put("key", ENTRY)
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o755
    assert os.listdir(elsewhere) == []


def test_an_index_in_a_linked_folder_is_read_as_nothing_stored(tmp_path: Path) -> None:
    real = StoredIndex(tmp_path / "real")
    real.add("xray", "xray_client_secret", "https://demo.invalid")
    (tmp_path / "config").symlink_to(real.directory)
    linked = StoredIndex(tmp_path / "config")
    assert linked.refused().startswith(f"{linked.directory} is a symbolic link")
    assert linked.entries() == []
    with pytest.raises(StoreError, match="is a symbolic link"):
        linked.add("jira", "jira_token", "https://demo.invalid")


class SwappedAfterTheFirstLook(PosixPath):
    """A folder that an attacker replaces by a link just after the plugin looked at it."""

    looked = False

    def is_symlink(self) -> bool:
        if not SwappedAfterTheFirstLook.looked:
            SwappedAfterTheFirstLook.looked = True
            return False  # what the first look saw: a plain folder
        return super().is_symlink()


def test_a_folder_swapped_for_a_link_after_the_first_look_is_refused(tmp_path: Path) -> None:
    """The folder is opened without following a link: ``chmod`` never reaches the target."""
    SwappedAfterTheFirstLook.looked = False
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    elsewhere.chmod(0o755)
    (tmp_path / "cache").symlink_to(elsewhere)
    with pytest.raises(StoreError, match=r"cache is a symbolic link, which is never followed"):
        private_directory(SwappedAfterTheFirstLook(tmp_path / "cache"), create=True)
    assert SwappedAfterTheFirstLook.looked
    assert stat.S_IMODE(elsewhere.stat().st_mode) == 0o755
