"""The README says what the code does: commands, quick start, fixtures, precedence, links.

Each check reads the README as a user would and compares it with what the plugin does, so
changing a fixture, the header or the precedence without the README fails here. The pages
under ``docs/`` are checked by ``test_docs.py``; the settings come from their declarations.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_docs import anchors

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
FIXTURES_PAGE = "docs/fixtures.md"

EXAMPLES_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -e . "
    "&& .venv/bin/pytest examples --tm-auth-sandbox"
)
TESTS_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
)
#: Stands for each ``...`` of the quick start's exports; masked in the header as ``32A2…E8E7``.
PLACEHOLDER = "32A2-demo-value-not-real-E8E7"
MAX_LINES = 200
#: Where the README's links to the repository's files point (pyproject.toml's Source URL).
BLOB = "https://github.com/pytest-tm-auth/pytest-tm-auth/blob/main/"
PLUGIN_FIXTURES = {
    "tm_auth",
    "xray_token",
    "xray_session",
    "zephyr_session",
    "jira_session",
    "tm_result",
}


def section(text: str, title: str, level: str = "##") -> str:
    """The text under the heading ``title`` up to the next heading of the same level or higher
    (the page's title aside: a ``# `` line may be a comment in a code block)."""
    start = text.index(f"\n{level} {title}\n")
    ends = [text.find(f"\n{'#' * depth} ", start + 1) for depth in range(2, len(level) + 1)]
    ends = [end for end in ends if end != -1]
    return text[start : min(ends) if ends else None]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)\n```$", text, re.DOTALL | re.MULTILINE)


def table_rows(text: str) -> list[list[str]]:
    """The cells of every body row of the Markdown tables in ``text`` (header rows left out)."""
    lines = [line.strip() for line in text.splitlines() if line.startswith("|")]
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for index, line in enumerate(lines)
        if not line.startswith("|---")
        and not (index + 1 < len(lines) and lines[index + 1].startswith("|---"))
    ]


def test_the_two_commands_come_first() -> None:
    before_first_section = README[: README.index("\n## ")]
    assert blocks(before_first_section, "bash") == [EXAMPLES_COMMAND, TESTS_COMMAND]


def test_readme_is_short() -> None:
    shown = [line for line in README.splitlines() if not re.match(r"\[[^\]]+\]: ", line)]
    lines = len(shown)  # link definitions at the end are not shown
    assert lines <= MAX_LINES, f"README.md has {lines} lines: move detail to a page in docs/"


def test_precedence_is_one_sentence_highest_first() -> None:
    text = section(README, "Settings")
    order = ["**command-line option**", "**process environment**", "**`.env` file**"]
    order += ["**OS keyring**", "**ini key**", "**default**"]
    positions = [text.index(item) for item in order]
    assert positions == sorted(positions)
    sentence = text[positions[0] : positions[-1]]
    assert not re.search(r"\.\s", sentence), "the precedence is not one sentence"


def exports(script: str) -> dict[str, str]:
    """The variables a bash block exports, each ``...`` replaced by a placeholder value."""
    found = {}
    for line in script.splitlines():
        if line.startswith("export "):
            for word in line.split("#", 1)[0].split()[1:]:
                name, _, value = word.partition("=")
                found[name] = value.replace("...", PLACEHOLDER)
    return found


@pytest.mark.parametrize("deployment", ["Cloud", "Data Center"])
def test_quick_start_header_is_what_the_plugin_prints(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, deployment: str
) -> None:
    text = section(section(README, "Quick start"), deployment, "###")
    (script,) = blocks(text, "bash")
    (header,) = blocks(text, "text")
    for name, value in exports(script).items():
        monkeypatch.setenv(name, value)

    result = pytester.runpytest("--collect-only", "-p", "no:cacheprovider")

    shown = [line for line in result.outlines if line.startswith("tm-auth:")]
    assert shown == header.splitlines()


def test_with_nothing_configured_the_quick_start_test_is_skipped_or_fails(
    pytester: pytest.Pytester,
) -> None:
    text = section(README, "Quick start")
    pytester.makepyfile(test_cycles=blocks(text, "python")[0])
    assert "`tm-auth: xray not configured`" in text

    result = pytester.runpytest("-p", "no:cacheprovider", "-rs")

    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["tm-auth: xray not configured", "*ZEPHYR_TOKEN*"])
    failing = pytester.runpytest("-p", "no:cacheprovider", "--tm-auth-on-missing=fail")
    assert failing.ret != 0
    assert "--tm-auth-on-missing=fail" in text


def plugin_fixtures(pytester: pytest.Pytester) -> dict[str, str]:
    """Every fixture the plugin's own modules define, with its scope, from ``--fixtures``."""
    output = pytester.runpytest("--fixtures", "-p", "no:cacheprovider").stdout.str()
    found = {}
    for module, block in re.findall(
        r"^-+ fixtures defined from (\S+) -+$\n(.*?)(?=^-+ fixtures defined from |\Z)",
        output,
        re.DOTALL | re.MULTILINE,
    ):
        if module.split(".")[0] == "pytest_tm_auth":
            for name, scope in re.findall(r"^(\w+)(?: \[(\w+) scope\])? -- ", block, re.M):
                found[name] = scope or "function"
    return found


@pytest.mark.parametrize("page", ["README.md", FIXTURES_PAGE])
def test_fixtures_table_lists_every_fixture_of_the_plugin(
    pytester: pytest.Pytester, page: str
) -> None:
    text = (REPO / page).read_text(encoding="utf-8")
    table = section(text, "Fixtures") if page == "README.md" else text
    rows = [row for row in table_rows(table) if row[0].startswith("`") and len(row) == 4]
    documented = {row[0].strip("`"): row[1] for row in rows}

    declared = plugin_fixtures(pytester)

    assert declared == documented
    assert set(declared) == PLUGIN_FIXTURES


def links() -> list[str]:
    """Every link target of the README, inline (``[text](url)``) or by reference (``[x]: url``)."""
    prose = re.sub(r"^```.*?^```$", "", README, flags=re.DOTALL | re.MULTILINE)
    used = set(re.findall(r"\]\[([^\]]+)\]", prose))
    defined = dict(re.findall(r"^\[([^\]]+)\]: (\S+)$", prose, re.MULTILINE))
    assert used <= set(defined), f"README.md uses undefined links {sorted(used - set(defined))}"
    return [*re.findall(r"\]\(([^)\s]+)\)", prose), *defined.values()]


def test_every_link_works_where_the_readme_is_read_outside_the_repository() -> None:
    """PyPI shows the README without the repository: a relative link leads nowhere there."""
    for link in links():
        assert re.match(r"https://", link), f"README.md links to {link}: not an absolute URL"
        if link.startswith(BLOB):
            path, _, anchor = link.removeprefix(BLOB).partition("#")
            assert (REPO / path).is_file(), f"README.md links to {link}: no such file"
            assert not anchor or anchor in anchors(REPO / path), f"{link}: no such heading"


def test_readme_links_to_every_page_of_the_docs() -> None:
    linked = {link.removeprefix(BLOB).partition("#")[0] for link in links()}
    pages = {f"docs/{path.name}" for path in (REPO / "docs").glob("*.md")}
    assert pages <= linked, f"README.md does not link to {sorted(pages - linked)}"
