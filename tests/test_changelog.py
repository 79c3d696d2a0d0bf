"""CHANGELOG.md keeps the Keep a Changelog form, and says what the code does.

Tools and readers (release notes, PyPI's project links) expect one ``## [version]`` section
per release, each with at most one ``###`` section per kind of change, in the standard order,
and a link for every version at the end.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_tm_auth.core.values import Setting
from pytest_tm_auth.settings.resolve import Sources, resolve

CHANGELOG = (Path(__file__).resolve().parent.parent / "CHANGELOG.md").read_text(encoding="utf-8")
KINDS = ["Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"]
RELEASE = re.compile(r"\[Unreleased\]|\[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}")
#: How the changelog names each kind of source the resolver reports.
SOURCE_WORDS = {
    "option": "option",
    "env": "environment",
    ".env": "`.env` file",
    "keyring": "OS keyring",
    "ini": "ini key",
    "default": "default",
}


def releases() -> dict[str, str]:
    """Each ``## `` section's title and text."""
    parts = re.split(r"^## (.+)$", CHANGELOG, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_release_heading_is_a_version_and_date_or_unreleased_first() -> None:
    titles = list(releases())
    assert titles, "no release section"
    for title in titles:
        assert RELEASE.fullmatch(title), f"not a Keep a Changelog release heading: {title!r}"
    assert "[Unreleased]" not in titles[1:], "[Unreleased] comes first"


@pytest.mark.parametrize("title", list(releases()))
def test_each_release_has_each_kind_once_in_the_standard_order(title: str) -> None:
    kinds = re.findall(r"^### (.+)$", releases()[title], re.MULTILINE)
    assert set(kinds) <= set(KINDS), f"{title}: {sorted(set(kinds) - set(KINDS))} is no kind"
    assert kinds == sorted(set(kinds), key=KINDS.index), f"{title}: {kinds}"
    assert not re.search(r"^#{4,} ", releases()[title], re.MULTILINE)


def test_every_release_is_linked_at_the_end() -> None:
    linked = set(re.findall(r"^(\[[^\]]+\]): https://\S+$", CHANGELOG, re.MULTILINE))
    versions = {title.split(" - ")[0] for title in releases()}
    assert versions <= linked, f"no link for {sorted(versions - linked)}"


def precedence_of_the_resolver() -> list[str]:
    """The source kinds a secret setting is taken from, highest first, as resolve() picks."""
    setting = Setting("demo_key", "Demo API key", secret=True)
    sources = {
        "options": {"demo_key": "from-option"},
        "environ": {"DEMO_KEY": "from-env"},
        "dotenv": {"DEMO_KEY": "from-dotenv"},
        "keyring": {"demo_key": "https://jira.example.com"},
        "ini": {"demo_key": "from-ini"},
    }
    order = []
    for removed in range(len(sources) + 1):
        kept = dict(list(sources.items())[removed:])
        source = resolve([setting], Sources(**kept)).source("demo_key")  # type: ignore[arg-type]
        order.append(source.kind)
    return order


def test_the_precedence_it_states_is_the_resolvers() -> None:
    chain = " > ".join(SOURCE_WORDS[kind] for kind in precedence_of_the_resolver())
    flowing = re.sub(r"\s+", " ", CHANGELOG)
    assert chain in flowing, f"CHANGELOG.md does not state the precedence {chain!r}"
