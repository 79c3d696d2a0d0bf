"""The README says what the code does: settings, fixtures, messages, commands and examples.

Each check reads the README as a user would and compares it with the code's own
declarations, so renaming a setting or rewording a message without the docs fails here.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

from pytest_tm_auth.providers.jira import Jira
from pytest_tm_auth.providers.xray import Xray
from pytest_tm_auth.providers.zephyr import Zephyr
from pytest_tm_auth.settings.model import Setting
from pytest_tm_auth.settings.run_wide import RUN_WIDE_SETTINGS as GENERAL_SETTINGS

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
PACKAGE = REPO / "pytest_tm_auth"

EXAMPLES_COMMAND = (
    "python -m venv .venv && .venv/bin/pip install -e . "
    "&& .venv/bin/pytest examples --tm-auth-sandbox"
)
TESTS_COMMAND = (
    "python -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
)
DECLARED: tuple[Setting, ...] = (
    *GENERAL_SETTINGS,
    *Xray().settings,
    *Zephyr().settings,
    *Jira().settings,
)


def section(title: str) -> str:
    """The text under ``## title`` up to the next second-level heading."""
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def table_rows(text: str) -> list[list[str]]:
    """The cells of every body row of the Markdown tables in ``text``."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return [row for row in rows if row[0] not in {"option", "message you see", "fixture"}]


def settings_table() -> dict[str, list[str]]:
    return {row[0]: row for row in table_rows(section("Settings")) if row[0].startswith("`--")}


def test_the_two_commands_come_first() -> None:
    before_first_section = README[: README.index("\n## ")]
    blocks = re.findall(r"```bash\n(.*?)\n```", before_first_section, re.DOTALL)
    assert blocks == [EXAMPLES_COMMAND, TESTS_COMMAND]


@pytest.mark.parametrize("setting", DECLARED, ids=lambda s: s.name)
def test_settings_table_row_matches_the_declaration(setting: Setting) -> None:
    row = settings_table().get(f"`{setting.option}`")
    assert row is not None, f"{setting.option} is missing from the README settings table"
    _option, ini, env, secret, default, meaning = row
    assert (ini, env) == (f"`{setting.ini}`", f"`{setting.env}`")
    assert secret == ("yes" if setting.secret else "")
    if setting.default is not None:
        assert default == f"`{setting.default}`"
    else:
        assert default == ("off" if setting.flag else "—")
    assert meaning == setting.help


def test_settings_table_lists_nothing_undeclared() -> None:
    assert set(settings_table()) == {f"`{s.option}`" for s in DECLARED}


def test_precedence_is_listed_highest_first() -> None:
    text = section("Settings")
    order = ["**command-line option**", "**process environment**", "**`.env` file**"]
    order += ["**ini key**", "**default**"]
    positions = [text.index(item) for item in order]
    assert positions == sorted(positions)


@functools.cache
def message_templates() -> tuple[str, ...]:
    """Every string the plugin's code (not the stand-in's) can put in a message.

    f-strings become templates with ``…`` where a value goes; implicit concatenation is
    already joined by the parser.
    """
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                parts = node.values
                found.append(
                    "".join(str(p.value) if isinstance(p, ast.Constant) else "…" for p in parts)
                )
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.append(node.value)
    return tuple(found)


def quoted_messages() -> list[str]:
    """The backticked fragments of the first column of the troubleshooting table."""
    rows = table_rows(section("Troubleshooting"))
    assert len(rows) >= 40
    return [fragment for row in rows for fragment in re.findall(r"`([^`]+)`", row[0])]


@pytest.mark.parametrize("quoted", quoted_messages())
def test_troubleshooting_quotes_a_message_the_code_produces(quoted: str) -> None:
    pattern = re.compile(".*?".join(re.escape(piece) for piece in quoted.split("…")))
    assert any(pattern.search(template) for template in message_templates()), quoted


def test_fixtures_table_lists_every_fixture_of_the_plugin(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--fixtures", "-p", "no:cacheprovider")
    output = result.stdout.str()
    start = output.index("fixtures defined from pytest_tm_auth.plugin")
    block = output[start:].split("\n\n-")[0]
    declared = set(re.findall(r"^(\w+) \[session scope\]", block, re.MULTILINE))
    documented = {row[0].strip("`") for row in table_rows(section("Fixtures"))}
    assert (
        declared
        == documented
        == {
            "tm_auth",
            "xray_token",
            "xray_session",
            "zephyr_session",
            "jira_session",
        }
    )


def readme_tests() -> list[str]:
    return [
        block
        for block in re.findall(r"```python\n(.*?)```", README, re.DOTALL)
        if "def test_" in block
    ]


def test_readme_python_tests_pass_against_the_stand_in(pytester: pytest.Pytester) -> None:
    blocks = readme_tests()
    assert len(blocks) == 2
    pytester.makepyfile(**{f"test_readme_{i}": block for i, block in enumerate(blocks)})
    result = pytester.runpytest("--tm-auth-sandbox", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
