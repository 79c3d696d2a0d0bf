"""``pytest-tm-auth login`` offers the settings as pytest does, and the registry's providers.

One mapping makes a setting an option in both helps (``run/catalog.option_arguments``); the
command's providers are what ``providers.built_in`` gives. The command runs outside pytest:
it loads no conftest and no plugin, so a provider they add is not among them.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_tm_auth import Setting, Target
from pytest_tm_auth.cli import main as command_line
from pytest_tm_auth.cli.settings import all_settings
from tests.stored import command


def _metavars(help_text: str, pattern: str) -> dict[str, str | None]:
    """Each non-secret setting's metavar as ``help_text`` shows it (``None``: a flag)."""
    shown: dict[str, str | None] = {}
    for setting in all_settings():
        if setting.secret:
            continue
        found = re.search(pattern.format(option=re.escape(setting.option)), help_text, re.M)
        assert found is not None, f"{setting.option} is not in the help"
        shown[setting.option] = found.group(1)
    return shown


def test_every_setting_has_the_same_metavar_in_both_helps(pytester: pytest.Pytester) -> None:
    in_pytest = pytester.runpytest("-p", "no:cacheprovider", "--help").stdout.str()
    done = command("login", "--help", env={"COLUMNS": "200"})
    assert done.returncode == 0, done.stderr

    pytest_metavars = _metavars(in_pytest, r"^\s+{option}(?:=(\S+)|\s\s)")
    command_metavars = _metavars(done.stdout, r"^\s+{option}(?: ([^\s-]\S*)|\s\s|$)")
    assert command_metavars == pytest_metavars
    assert pytest_metavars["--xray-deployment"] == "{auto,cloud,datacenter}"
    assert pytest_metavars["--tm-auth-insecure"] is None


class TestRail:
    """A third-party provider, as a plugin would add it."""

    name = "testrail"
    title = "TestRail"
    settings = (Setting("testrail_url", "TestRail site", label="url", metavar="URL"),)

    def target(self, values: object) -> Target:
        raise NotImplementedError

    def authenticate(self, login: object) -> None:
        raise NotImplementedError


def test_the_provider_list_is_the_registry_s(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_tm_auth import providers

    built_in = providers.built_in
    monkeypatch.setattr(providers, "built_in", lambda: [*built_in(), TestRail()])

    args = command_line.parser().parse_args(["login", "testrail", "--testrail-url", "u"])
    assert (args.provider, args.testrail_url) == ("testrail", "u")
    with pytest.raises(SystemExit):
        command_line.parser().parse_args(["logout", "--help"])
    assert "xray, zephyr, jira, testrail" not in capsys.readouterr().out  # logout: no list
    with pytest.raises(SystemExit):
        command_line.parser().parse_args(["login", "--help"])
    assert "xray, zephyr, jira, testrail" in capsys.readouterr().out


def test_a_conftest_s_provider_is_not_seen_by_the_command(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the command sees: the built-in providers only, wherever it runs."""
    pytester.makeconftest(
        "def pytest_tm_auth_add_providers():\n"
        "    raise AssertionError('the command loaded a conftest')\n"
    )
    monkeypatch.chdir(pytester.path)
    assert Path("conftest.py").exists()
    done = command("login", "testrail")
    assert done.returncode == 2
    quoted = "'?".join(["", "xray", ", ", "zephyr", ", ", "jira", ""])  # quotes since 3.12.8
    assert re.search(rf"invalid choice: 'testrail' \(choose from {quoted}\)", done.stderr)


def test_one_place_prints_and_no_command_imports_it() -> None:
    """The commands yield their lines and raise; only ``cli/main.py`` prints (no circle)."""
    import ast

    folder = Path(command_line.__file__).parent
    found = []
    for path in sorted(folder.glob("*.py")):
        if path.name == "main.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "pytest_tm_auth.cli.main":
                found.append(f"{path.name} imports cli.main")
            if isinstance(node, ast.Call) and ast.unparse(node.func) == "print":
                found.append(f"{path.name} prints")
    assert found == []
