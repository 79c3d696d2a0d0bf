"""The pages under ``docs/`` (and the README's code) say what the code does.

- The settings table is the one ``docs/settings_table.py`` writes from the declarations.
- The precedence is listed highest first; troubleshooting quotes only messages the code
  can produce, in its four sections.
- Every Python block runs against the stand-in: tests pass, files titled ``conftest.py``
  and ``test_*.py`` run together, and hook snippets run as a ``conftest.py``.
- Every output block (```text) matches what the run it shows prints.
- Every relative link points to a file (and heading) that exists, and every option and
  environment variable the docs name is declared.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
import subprocess
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

import pytest

from pytest_tm_auth import Setting

REPO = Path(__file__).resolve().parent.parent
STANDIN = REPO / "examples" / "recipes" / "testrail" / "standin.py"
DOCS = REPO / "docs"
PACKAGE = REPO / "pytest_tm_auth"
PAGES = ["README.md", *sorted(f"docs/{path.name}" for path in DOCS.glob("*.md"))]
FIX_COMMAND = ".venv/bin/python docs/settings_table.py"
TROUBLESHOOTING = ["Configuration", "Login refused", "Network and TLS", "Provider authors"]
TROUBLESHOOTING_COLUMNS = ["message you see", "what it means", "what to do"]
#: How many output blocks (```text) each page has; each one is compared with a run below
#: (the README's in ``test_readme.py``). A new one needs its own comparison.
OUTPUT_BLOCKS = {
    "README.md": 2,
    "docs/check.md": 1,
    "docs/credentials.md": 1,
    "docs/fixtures.md": 1,
    "docs/providers.md": 1,
    "docs/sandbox.md": 1,
    "docs/xdist.md": 1,
}
#: A test module for hook snippets: each built-in fixture, so that every hook runs.
SMOKE_TESTS = """
def test_xray(xray_session):
    assert xray_session.base_url

def test_zephyr(zephyr_session):
    assert zephyr_session.base_url

def test_jira(jira_session):
    assert jira_session.base_url

def test_token(xray_token, tm_auth):
    assert xray_token and tm_auth.names
"""


def load_generator() -> ModuleType:
    """``docs/settings_table.py``, which is no package module: loaded from its path."""
    spec = importlib.util.spec_from_file_location("settings_table", DOCS / "settings_table.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = load_generator()
#: The built-in settings, as the generator imports them (the one place that does).
DECLARED: tuple[Setting, ...] = GENERATOR.DECLARED


def read(page: str) -> str:
    return (REPO / page).read_text(encoding="utf-8")


def section(text: str, title: str) -> str:
    """The text under ``## title`` up to the next second-level heading."""
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def table_rows(text: str) -> list[list[str]]:
    """The cells of every body row of the Markdown tables in ``text`` (header rows left out)."""
    lines = [line.strip() for line in text.splitlines() if line.startswith("|")]
    return [
        [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip("|"))]
        for index, line in enumerate(lines)
        if not line.startswith("|---")
        and not (index + 1 < len(lines) and lines[index + 1].startswith("|---"))
    ]


class Block(NamedTuple):
    """A fenced code block: its page and line, language, ``title="..."`` and text."""

    page: str
    line: int
    language: str
    title: str
    code: str

    def __str__(self) -> str:
        return f"{self.page}:{self.line}"


FENCE = re.compile(r'^```(\w*)(?: title="([^"]+)")?\n(.*?)^```$', re.DOTALL | re.MULTILINE)


@functools.cache
def code_blocks(page: str) -> tuple[Block, ...]:
    text = read(page)
    return tuple(
        Block(page, text.count("\n", 0, match.start()) + 1, match[1], match[2] or "", match[3])
        for match in FENCE.finditer(text)
    )


def prose(page: str) -> str:
    """The page without its fenced code blocks."""
    return FENCE.sub("", read(page))


def python_blocks(kind: str) -> list[Block]:
    """Every Python block of the README and the docs of one kind.

    ``test``: untitled, defines a test; ``titled``: a file of the page's example project;
    ``snippet``: anything else, which is conftest code (a hook).
    """
    found = []
    for page in PAGES:
        for block in code_blocks(page):
            if block.language != "python":
                continue
            if block.title:
                found.append((block, "titled"))
            else:
                found.append((block, "test" if "def test_" in block.code else "snippet"))
    return [block for block, its_kind in found if its_kind == kind]


def count_tests(code: str) -> int:
    return len(re.findall(r"^def test_", code, re.MULTILINE))


def output_patterns(block: str) -> list[str]:
    """One regex per line of an output block (``...`` lines left out): numbers, spaces and
    separator widths vary from run to run, the words do not."""

    def one(match: re.Match[str]) -> str:
        number, space, dashes, equals, other = match.groups()
        if number:
            return r"\d+"
        if space:
            return r"\s+"
        if dashes:
            return "-+"
        if equals:
            return "=+"
        return re.escape(other)

    token = re.compile(r"(\d+)|(\s+)|(-{3,})|(={3,})|(.)", re.DOTALL)
    return [
        token.sub(one, line.strip())
        for line in block.splitlines()
        if line.strip() not in {"", "..."}
    ]


def assert_output_shown(page: str, lines: list[str]) -> None:
    """The page's output blocks appear in ``lines``, line by line, in order."""
    outputs = [block for block in code_blocks(page) if block.language == "text"]
    assert outputs, f"{page} has no output block"
    for block in outputs:
        pytest.LineMatcher(lines).re_match_lines(output_patterns(block.code))


def run_against_the_stand_in(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "-p", "no:cacheprovider", "-p", "pytester", "--tm-auth-sandbox", *args
    )


# The settings table


def test_settings_table_is_the_generated_one() -> None:
    written = GENERATOR.current(read("docs/settings.md"))
    assert written == GENERATOR.table(), (
        f"docs/settings.md's settings table differs from the declarations: run {FIX_COMMAND}"
    )


def settings_table() -> dict[str, list[str]]:
    rows = table_rows(section(read("docs/settings.md"), "Every setting"))
    return {row[0]: row for row in rows if row[0].startswith("`--")}


@pytest.mark.parametrize("setting", DECLARED, ids=lambda s: s.name)
def test_settings_table_row_matches_the_declaration(setting: Setting) -> None:
    row = settings_table().get(f"`{setting.option}`")
    assert row is not None, f"{setting.option} is missing from docs/settings.md: run {FIX_COMMAND}"
    _option, ini, env, secret, default, meaning = row
    assert (ini, env) == (f"`{setting.ini}`", f"`{setting.env}`")
    assert secret == ("yes" if setting.secret else "")
    if setting.default is not None:
        assert default == f"`{setting.default}`"
    else:
        assert default == ("off" if setting.flag else "—")
    assert meaning.replace("\\|", "|") == setting.help


def test_settings_table_lists_nothing_undeclared() -> None:
    assert set(settings_table()) == {f"`{s.option}`" for s in DECLARED}


def test_precedence_is_listed_highest_first() -> None:
    text = section(read("docs/settings.md"), "Precedence")
    order = ["**command-line option**", "**process environment**", "**`.env` file**"]
    order += ["**OS keyring**", "**ini key**", "**default**"]
    positions = [text.index(item) for item in order]
    assert positions == sorted(positions)


def test_every_option_and_variable_the_docs_name_is_declared() -> None:
    from pytest_tm_auth.cli.settings import REPORT_ONLY  # the publish command's own

    options = {s.option for s in (*DECLARED, *REPORT_ONLY)}
    variables = {s.env for s in (*DECLARED, *REPORT_ONLY)}
    for page in PAGES:
        text = read(page)
        named = set(re.findall(r"--(?:xray|zephyr|jira|tm-auth)-[a-z-]*[a-z]", text))
        assert named <= options, f"{page} names undeclared options {sorted(named - options)}"
        named = set(re.findall(r"\b(?:XRAY|ZEPHYR|JIRA|TM_AUTH)_[A-Z_]*[A-Z]\b", text))
        assert named <= variables, f"{page} names undeclared variables {sorted(named - variables)}"


# Troubleshooting


@functools.cache
def message_templates() -> tuple[str, ...]:
    """Every string the plugin's code (not the stand-in's) can put in a message.

    f-strings become templates with ``…`` where a value goes; implicit concatenation is
    already joined by the parser. Modules in subpackages count too.
    """
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if "sandbox" in path.relative_to(PACKAGE).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                parts = node.values
                found.append(
                    "".join(str(p.value) if isinstance(p, ast.Constant) else "…" for p in parts)
                )
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.append(node.value)
    return tuple(found)


def troubleshooting_rows() -> list[list[str]]:
    text = read("docs/troubleshooting.md")
    return [row for title in TROUBLESHOOTING for row in table_rows(section(text, title))]


def quoted_messages() -> list[str]:
    """The backticked fragments of the first column of the troubleshooting tables."""
    rows = troubleshooting_rows()
    assert len(rows) >= 40
    return [fragment for row in rows for fragment in re.findall(r"`([^`]+)`", row[0])]


def test_troubleshooting_is_grouped_in_four_tables() -> None:
    text = read("docs/troubleshooting.md")
    assert re.findall(r"^## (.+)$", text, re.MULTILINE) == TROUBLESHOOTING
    for title in TROUBLESHOOTING:
        lines = [line for line in section(text, title).splitlines() if line.startswith("|")]
        assert lines, f"{title} has no table"
        assert [cell.strip() for cell in lines[0].strip("|").split("|")] == TROUBLESHOOTING_COLUMNS
        assert len(lines) >= 3, f"{title} has no row"


def test_troubleshooting_rows_have_three_cells() -> None:
    assert all(len(row) == len(TROUBLESHOOTING_COLUMNS) for row in troubleshooting_rows())


@pytest.mark.parametrize("quoted", quoted_messages())
def test_troubleshooting_quotes_a_message_the_code_produces(quoted: str) -> None:
    pattern = re.compile(".*?".join(re.escape(piece) for piece in quoted.split("…")))
    assert any(pattern.search(template) for template in message_templates()), quoted


# Code blocks


def pages_with(kind: str) -> list[str]:
    return sorted({block.page for block in python_blocks(kind)})


@pytest.mark.parametrize("page", pages_with("test"))
def test_python_tests_pass_against_the_stand_in(pytester: pytest.Pytester, page: str) -> None:
    tests = [block for block in python_blocks("test") if block.page == page]
    stem = Path(page).stem.replace("-", "_").lower()
    pytester.makepyfile(**{f"test_{stem}_{block.line}": block.code for block in tests})

    result = run_against_the_stand_in(pytester)

    result.assert_outcomes(passed=sum(count_tests(block.code) for block in tests))
    if page == "docs/fixtures.md":  # its output block is the summary of these tests
        assert_output_shown(page, result.outlines)


@pytest.mark.parametrize("page", pages_with("titled"))
def test_titled_files_run_together_against_the_stand_in(
    pytester: pytest.Pytester, page: str
) -> None:
    files = [block for block in python_blocks("titled") if block.page == page]
    for block in files:
        (pytester.path / block.title).write_text(block.code, encoding="utf-8")
    expected = sum(count_tests(block.code) for block in files)
    assert expected, f"the files of {page} hold no test"
    if page == "docs/providers.md":  # as the walkthrough says: the recipe's stand-in beside
        (pytester.path / "standin.py").write_text(STANDIN.read_text("utf-8"), "utf-8")

    result = run_against_the_stand_in(pytester)

    result.assert_outcomes(passed=expected)
    if page == "docs/providers.md":  # its output block is this very run
        assert_output_shown(page, result.outlines)


@pytest.mark.parametrize("block", python_blocks("snippet"), ids=str)
def test_hook_snippet_runs_as_a_conftest(pytester: pytest.Pytester, block: Block) -> None:
    assert re.search(r"^def pytest_tm_auth_\w+\(", block.code, re.MULTILINE), (
        f"{block} is neither a test nor a hook: give it a test, or a title"
    )
    pytester.makeconftest(block.code)
    pytester.makepyfile(test_smoke=SMOKE_TESTS)

    result = run_against_the_stand_in(pytester)

    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 1, result.stdout.str()
    assert not outcomes.keys() & {"failed", "errors", "error"}, result.stdout.str()


# Output blocks


def test_every_output_block_is_compared_with_a_run() -> None:
    counts = {page: sum(block.language == "text" for block in code_blocks(page)) for page in PAGES}
    assert {page: count for page, count in counts.items() if count} == OUTPUT_BLOCKS


def test_check_table_is_what_the_check_prints(pytester: pytest.Pytester) -> None:
    assert "`pytest --tm-auth-check --tm-auth-sandbox`" in read("docs/check.md")

    result = pytester.runpytest("-p", "no:cacheprovider", "--tm-auth-check", "--tm-auth-sandbox")

    assert result.ret == 0
    assert_output_shown("docs/check.md", result.outlines)


def test_xdist_summary_is_what_a_run_with_workers_prints(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one(xray_session): pass\n\ndef test_two(xray_session): pass\n")

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--tm-auth-sandbox")

    result.assert_outcomes(passed=2)
    assert_output_shown("docs/xdist.md", result.outlines)


def test_stand_in_prints_what_the_page_shows() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_tm_auth.sandbox"],
        stdout=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(60, process.kill)
    watchdog.start()
    lines = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("# press Ctrl-C"):
                break
    finally:
        process.terminate()
        process.wait(timeout=10)
        watchdog.cancel()
    assert process.returncode == 0, lines
    assert_output_shown("docs/sandbox.md", lines)


# Links


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as ``-``."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slug(heading) for heading in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)}


@pytest.mark.parametrize("page", PAGES)
def test_every_relative_link_points_to_something_that_exists(page: str) -> None:
    links = re.findall(r"\[[^\]]*\]\(([^)\s]+)\)", prose(page))
    for link in links:
        if re.match(r"[a-z]+:", link):  # https:, mailto:
            continue
        path, _, anchor = link.partition("#")
        target = ((REPO / page).parent / path).resolve() if path else REPO / page
        assert target.exists(), f"{page} links to {link}, which does not exist"
        if anchor:
            assert anchor in anchors(target), f"{page} links to {link}: no such heading"


def test_the_map_links_to_every_page() -> None:
    linked = set(re.findall(r"\]\(([\w-]+\.md)\)", read("docs/index.md")))
    pages = {path.name for path in DOCS.glob("*.md")} - {"index.md"}
    assert pages <= linked, f"docs/index.md does not link to {sorted(pages - linked)}"
