"""Stored secrets without a keyring: the index, which entries a run's settings lead to, and
the login step reading them only when it logs in."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pytest_tm_auth.core.errors import MissingCredentials
from pytest_tm_auth.core.login_step import Configured, LoginEnvironment, LoginStep
from pytest_tm_auth.core.values import InKeyring, Values
from pytest_tm_auth.run.stored import keyring_sites
from pytest_tm_auth.settings.resolve import Sources, resolve
from pytest_tm_auth.store.stored_index import Stored, StoredIndex
from tests.unit.fakes import KEY, URL, DemoProvider, FakeConnector, FakeHooks

SITE = "https://demo.invalid"
SECRET = "demo-key-not-real"


class FakeVault:
    """The keyring as the login step sees it: counts reads."""

    def __init__(self, text: str | None = SECRET) -> None:
        self.text = text
        self.reads: list[tuple[str, str]] = []

    def load(self, name: str, site: str) -> str | None:
        self.reads.append((name, site))
        return self.text


def stored_values(site: str = SITE, **environ: str) -> Values:
    sources = Sources(environ={"DEMO_URL": SITE, **environ}, keyring={KEY.name: site})
    return resolve([URL, KEY], sources)


def test_the_index_keeps_names_and_sites_privately(tmp_path: Path) -> None:
    index = StoredIndex(tmp_path / "config")
    index.add("xray", "jira_token", SITE)
    index.add("jira", "jira_token", SITE)
    index.add("jira", "jira_token", "https://other.invalid")
    assert index.entries() == [
        Stored("jira_token", SITE, ("jira", "xray")),
        Stored("jira_token", "https://other.invalid", ("jira",)),
    ]
    if os.name != "nt":
        assert stat.S_IMODE(index.directory.stat().st_mode) == 0o700
        assert stat.S_IMODE(index.path.stat().st_mode) == 0o600
    # No temporary file left; the lock stays (removing it would race with another holder).
    assert sorted(os.listdir(index.directory)) == ["credentials.json", "credentials.json.lock"]


def test_a_provider_logging_out_keeps_what_another_still_uses(tmp_path: Path) -> None:
    index = StoredIndex(tmp_path)
    index.add("xray", "jira_token", SITE)
    index.add("jira", "jira_token", SITE)
    index.add("jira", "jira_password", SITE)
    gone, shared = index.remove("jira")
    assert gone == [Stored("jira_password", SITE, ("jira",))]
    assert shared == [Stored("jira_token", SITE, ("jira", "xray"))]
    assert index.entries() == [Stored("jira_token", SITE, ("xray",))]
    assert index.remove(None) == ([Stored("jira_token", SITE, ("xray",))], [])
    assert index.entries() == []


def test_a_corrupt_or_foreign_index_means_nothing_is_stored(tmp_path: Path) -> None:
    index = StoredIndex(tmp_path)
    damaged = (
        "{",
        '{"format": 99, "entries": []}',
        '{"format": 1, "entries": [1]}',
        "[]",
        "[" * 200_000,  # deeper than the JSON parser recurses
        '{"format": 1, "entries": [{"setting": "s", "site": "x", "providers": "jira"}]}',
        '{"format": 1, "entries": []}' + " " * (1 << 20),  # bigger than any index written
    )
    for text in damaged:
        index.path.write_text(text, encoding="utf-8")
        assert index.entries() == [], text[:40]


def test_an_entry_applies_only_where_its_provider_logs_in_to_its_site() -> None:
    provider = DemoProvider()
    plain = resolve([URL, KEY], Sources(environ={"DEMO_URL": SITE}))
    here = Stored(KEY.name, SITE, ("demo",))
    elsewhere = Stored(KEY.name, "https://other.invalid", ("demo",))
    other_provider = Stored(KEY.name, SITE, ("testrail",))
    assert keyring_sites(plain, [provider], [elsewhere, other_provider]) == {}
    assert keyring_sites(plain, [provider], [elsewhere, here]) == {KEY.name: SITE}
    in_env = resolve([URL, KEY], Sources(environ={"DEMO_URL": SITE, "DEMO_KEY": SECRET}))
    assert keyring_sites(in_env, [provider], [here]) == {}  # a higher source sets it


def test_a_stored_secret_is_a_placeholder_until_the_login_reads_it() -> None:
    values = stored_values()
    assert isinstance(values.get(KEY.name), InKeyring)
    assert str(values.source(KEY.name)) == f"keyring ({SITE})"
    assert values.secrets() == []  # the placeholder is nothing to hide
    assert values.pending() == {KEY.name: SITE}


def test_the_login_step_reads_the_keyring_once_and_logs_in_with_the_value() -> None:
    hooks, vault = FakeHooks(), FakeVault()
    learnt: list[str] = []
    configured = Configured(DemoProvider(), stored_values())
    connector = FakeConnector()
    environment = LoginEnvironment(
        hooks, lambda: connector, learn=lambda *s: learnt.extend(s), vault=vault
    )
    step = LoginStep(configured, environment)
    assert vault.reads == []  # configured, and nothing read yet
    step(False)
    step(True)
    assert vault.reads == [(KEY.name, SITE)]
    assert hooks.logins[0].values.text(KEY.name) == SECRET
    assert not isinstance(hooks.logins[0].values.get(KEY.name), InKeyring)
    assert SECRET in learnt


def test_a_secret_the_keyring_no_longer_has_is_missing_credentials() -> None:
    hooks = FakeHooks()
    configured = Configured(DemoProvider(), stored_values())
    environment = LoginEnvironment(
        hooks, FakeConnector, learn=lambda *s: None, vault=FakeVault(None)
    )
    step = LoginStep(configured, environment)
    with pytest.raises(MissingCredentials, match="Demo credentials not set"):
        step(False)
    assert hooks.logins == []  # no login with a placeholder
