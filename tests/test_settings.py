"""The settings contract: four sources, one precedence, and every value knows its source.

Precedence, highest first: CLI option > process environment > ``.env`` file > ini key >
default. Each test runs pytest in-process on a small suite whose one test records what the
``tm_auth`` fixture resolved (value and source of every setting) for the outer test to read.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pytest_tm_auth.sandbox import Sandbox

RECORD_VALUES = """
import json
from pathlib import Path


def test_record_values(tm_auth):
    values = tm_auth.state("xray").values
    seen = {}
    for name in values.resolved:
        value, source = values.get(name), values.source(name)
        seen[name] = [None if value is None else str(value), source.kind, source.where]
    Path(__file__).with_name("seen.json").write_text(json.dumps(seen))
"""

#: Every setting of SPEC section 3's table, by name (option, ini key and env var derive from it).
SPEC_SETTINGS = (
    "xray_deployment",
    "xray_region",
    "xray_url",
    "xray_client_id",
    "xray_client_secret",
    "zephyr_deployment",
    "zephyr_region",
    "zephyr_url",
    "zephyr_token",
    "jira_url",
    "jira_username",
    "jira_token",
    "jira_password",
    "tm_auth_env_file",
    "tm_auth_on_missing",
    "tm_auth_timeout",
    "tm_auth_retries",
    "tm_auth_ca_bundle",
    "tm_auth_insecure",
    "tm_auth_allow_http",
    "tm_auth_remember",
    "tm_auth_reset",
    "tm_auth_check",
)

SOURCES = ("option", "env", ".env", "ini")
#: What ``Source.where`` says for each source of ``xray_url``.
WHERE = {"option": "--xray-url", "env": "XRAY_URL", ".env": ".env", "ini": "pytest.ini"}


@dataclass(frozen=True)
class Seen:
    """One setting as the inner run resolved it."""

    value: str | None
    kind: str
    where: str


@dataclass
class Layers:
    """Puts settings into one of the four sources of an inner pytest run."""

    pytester: pytest.Pytester
    monkeypatch: pytest.MonkeyPatch
    args: list[str] = field(default_factory=list)
    ini_lines: list[str] = field(default_factory=list)
    env_file_lines: list[str] = field(default_factory=list)

    def put(self, source: str, name: str, text: str) -> None:
        if source == "option":
            self.args.append(f"--{name.replace('_', '-')}={text}")
        elif source == "env":
            self.monkeypatch.setenv(name.upper(), text)
        elif source == ".env":
            self.env_file_lines.append(f"{name.upper()}={text}")
        elif source == "ini":
            self.ini_lines.append(f"{name} = {text}")
        else:
            raise AssertionError(f"unknown source {source}")

    def resolve(self, *args: str) -> dict[str, Seen]:
        """Run the inner suite and return every setting's value and source."""
        if self.ini_lines:
            self.pytester.makefile(".ini", pytest="\n".join(["[pytest]", *self.ini_lines]))
        if self.env_file_lines:
            write_env_file(self.pytester.path / ".env", *self.env_file_lines)
        return resolve(self.pytester, *self.args, *args)


def write_env_file(path: Path, *lines: str, newline: str = "\n") -> None:
    path.write_bytes("".join(line + newline for line in lines).encode())


def resolve(pytester: pytest.Pytester, *args: str) -> dict[str, Seen]:
    pytester.makepyfile(test_record_values=RECORD_VALUES)
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=1)
    raw = json.loads((pytester.path / "seen.json").read_text())
    return {name: Seen(*item) for name, item in raw.items()}


@pytest.fixture
def layers(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Layers:
    return Layers(pytester, monkeypatch)


# Sources and precedence


@pytest.mark.parametrize("source", SOURCES)
def test_each_source_alone_sets_the_value_and_is_named(layers: Layers, source: str) -> None:
    url = f"https://from-{source.strip('.')}.example.com"
    layers.put(source, "xray_url", url)

    seen = layers.resolve()

    assert seen["xray_url"] == Seen(url, source, WHERE[source])


def test_an_unset_setting_takes_its_default(layers: Layers) -> None:
    seen = layers.resolve()

    assert seen["xray_region"] == Seen("global", "default", "")
    assert seen["xray_deployment"] == Seen("auto", "default", "")
    assert seen["tm_auth_on_missing"] == Seen("skip", "default", "")
    assert seen["tm_auth_timeout"].value == "10.0"
    assert seen["tm_auth_retries"].value == "3.0"
    assert seen["tm_auth_insecure"] == Seen("False", "default", "")
    assert seen["xray_url"] == Seen(None, "default", "")


PAIRS = [
    ("option", "env"),
    ("option", ".env"),
    ("option", "ini"),
    ("env", ".env"),
    ("env", "ini"),
    (".env", "ini"),
]


@pytest.mark.parametrize(("higher", "lower"), PAIRS, ids=[f"{h}>{lo}" for h, lo in PAIRS])
def test_the_higher_source_wins(layers: Layers, higher: str, lower: str) -> None:
    """Among them: a ``.env`` file never overrides the real environment (``env>.env``)."""
    layers.put(higher, "xray_url", "https://higher.example.com")
    layers.put(lower, "xray_url", "https://lower.example.com")

    seen = layers.resolve()

    assert seen["xray_url"] == Seen("https://higher.example.com", higher, WHERE[higher])


def test_each_setting_resolves_on_its_own(layers: Layers) -> None:
    """Precedence is per setting: a higher source that lacks a setting hides nothing."""
    layers.put("option", "xray_region", "eu")
    layers.put("env", "xray_client_id", "fake-client-id-0001")
    layers.put(".env", "xray_client_secret", "fake-client-secret-0001")
    layers.put("ini", "xray_url", "https://xray.example.com")

    seen = layers.resolve()

    assert [seen[name].kind for name in ("xray_region", "xray_client_id")] == ["option", "env"]
    assert [seen[name].kind for name in ("xray_client_secret", "xray_url")] == [".env", "ini"]


def test_an_empty_variable_counts_as_unset(layers: Layers) -> None:
    """CI systems export unset secrets as empty strings; a lower source still applies."""
    layers.put("env", "xray_region", "")
    layers.put("ini", "xray_region", "eu")

    seen = layers.resolve()

    assert seen["xray_region"] == Seen("eu", "ini", "pytest.ini")


@pytest.mark.parametrize(("source", "text"), [("env", "yes"), (".env", "true"), ("ini", "1")])
def test_a_flag_is_switched_on_from_any_source(layers: Layers, source: str, text: str) -> None:
    layers.put(source, "tm_auth_allow_http", text)

    seen = layers.resolve()

    assert (seen["tm_auth_allow_http"].value, seen["tm_auth_allow_http"].kind) == ("True", source)


def test_a_flag_option_beats_a_false_environment_variable(layers: Layers) -> None:
    layers.put("env", "tm_auth_allow_http", "0")

    seen = layers.resolve("--tm-auth-allow-http")

    assert seen["tm_auth_allow_http"] == Seen("True", "option", "--tm-auth-allow-http")


def test_numbers_are_parsed_from_text_sources(layers: Layers) -> None:
    layers.put("env", "tm_auth_timeout", "2.5")
    layers.put("ini", "tm_auth_retries", "0")

    seen = layers.resolve()

    assert (seen["tm_auth_timeout"].value, seen["tm_auth_retries"].value) == ("2.5", "0.0")


def test_pyproject_toml_is_an_ini_source(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\nxray_region = "au"\n')

    seen = resolve(pytester)

    assert seen["xray_region"] == Seen("au", "ini", "pyproject.toml")


# The .env file


def test_env_file_is_read_without_touching_os_environ(pytester: pytest.Pytester) -> None:
    write_env_file(pytester.path / ".env", "XRAY_CLIENT_ID=fake-client-id-0001")
    pytester.makepyfile(
        """
        import os

        def test_sees_the_value_but_not_in_os_environ(tm_auth):
            values = tm_auth.state("xray").values
            assert values.text("xray_client_id") == "fake-client-id-0001"
            assert values.source("xray_client_id").kind == ".env"
            assert "XRAY_CLIENT_ID" not in os.environ
        """
    )

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)
    assert "XRAY_CLIENT_ID" not in os.environ


@pytest.mark.parametrize("named_by", ["option", "env", "ini"])
def test_env_files_are_named_relative_to_rootdir_and_later_files_win(
    layers: Layers, monkeypatch: pytest.MonkeyPatch, named_by: str
) -> None:
    root = layers.pytester.path
    write_env_file(root / "team.env", "XRAY_REGION=eu", "XRAY_URL=https://team.example.com")
    write_env_file(root / "mine.env", "XRAY_URL=https://mine.example.com")
    layers.put(named_by, "tm_auth_env_file", "team.env, mine.env")
    monkeypatch.chdir(layers.pytester.mkdir("elsewhere"))  # the rootdir stays `root`

    seen = layers.resolve(str(root))

    assert seen["xray_region"] == Seen("eu", ".env", "team.env")
    assert seen["xray_url"] == Seen("https://mine.example.com", ".env", "mine.env")


def test_naming_env_files_replaces_the_default_env_file(pytester: pytest.Pytester) -> None:
    write_env_file(pytester.path / ".env", "XRAY_REGION=us")
    write_env_file(pytester.path / "ci.env", "XRAY_CLIENT_ID=fake-client-id-0001")

    seen = resolve(pytester, "--tm-auth-env-file=ci.env")

    assert seen["xray_client_id"].kind == ".env"
    assert seen["xray_region"] == Seen("global", "default", "")


def test_env_file_values_are_taken_literally(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ``${VAR}`` expansion: a secret containing ``$`` must arrive unchanged."""
    monkeypatch.setenv("HOME_TEAM", "expanded")
    write_env_file(
        pytester.path / ".env",
        "XRAY_CLIENT_ID=fake-${HOME_TEAM}-id",
        "XRAY_CLIENT_SECRET=fake$HOME_TEAM$$secret",
    )

    seen = resolve(pytester)

    assert seen["xray_client_id"].value == "fake-${HOME_TEAM}-id"
    assert seen["xray_client_secret"].value == "fake$HOME_TEAM$$secret"


def test_env_file_written_on_windows_with_padded_secrets_logs_in(
    pytester: pytest.Pytester, sandbox: Sandbox
) -> None:
    """A byte-order mark, CRLF line ends and blanks around values are all stripped."""
    padded = [f"{name} =  {value} " for name, value in sandbox.env("cloud").items()]
    write_env_file(pytester.path / ".env", "\ufeff# exported on Windows", *padded, newline="\r\n")
    pytester.makepyfile(
        """
        def test_logs_in(xray_token, tm_auth):
            assert xray_token.count(".") == 2
            assert tm_auth.state("xray").values.source("xray_client_secret").kind == ".env"
        """
    )

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)
    assert sandbox.count("xray.authenticate", status=200) == 1


def test_a_password_may_contain_spaces(pytester: pytest.Pytester) -> None:
    """People choose passphrases; keys and tokens never hold a space (see test_usage_errors)."""
    write_env_file(pytester.path / ".env", "JIRA_PASSWORD=' fake correct horse battery '")

    seen = resolve(pytester)

    assert seen["jira_password"].value == "fake correct horse battery"


# Warnings


def test_a_secret_written_in_an_ini_file_is_warned_about_once(pytester: pytest.Pytester) -> None:
    """Ini files are committed: the warning names the key and the variable, never the value."""
    pytester.makefile(
        ".ini",
        pytest="[pytest]\n"
        "xray_client_id = fake-client-id-0001\n"
        "xray_client_secret = fake-ini-secret-0001\n",
    )
    pytester.makepyfile("def test_nothing(): pass")

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        ["*SecretInIniWarning: xray_client_secret is a secret written in pytest.ini*"]
    )
    result.stdout.fnmatch_lines(["*set XRAY_CLIENT_SECRET in the environment or a .env file*"])
    assert "fake-ini-secret-0001" not in result.stdout.str() + result.stderr.str()


def test_a_secret_in_an_ini_file_is_warned_about_even_when_the_environment_wins(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makefile(".ini", pytest="[pytest]\nzephyr_token = fake-ini-token-0001\n")
    monkeypatch.setenv("ZEPHYR_TOKEN", "fake-env-token-0001")
    pytester.makepyfile("def test_nothing(): pass")

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*SecretInIniWarning: zephyr_token is a secret written in*"])
    assert "fake-ini-token-0001" not in result.stdout.str() + result.stderr.str()


def test_turning_tls_verification_off_warns(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing(): pass")

    result = pytester.runpytest("-p", "no:cacheprovider", "--tm-auth-insecure")

    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(["*InsecureTransportWarning: TLS verification is OFF*"])


def test_both_warnings_are_pytest_warnings_users_can_filter() -> None:
    from pytest_tm_auth import InsecureTransportWarning, SecretInIniWarning, TmAuthWarning

    assert issubclass(SecretInIniWarning, TmAuthWarning)
    assert issubclass(InsecureTransportWarning, TmAuthWarning)
    assert issubclass(TmAuthWarning, pytest.PytestWarning)


# --help


GROUP_TITLE = "test-management authentication (pytest-tm-auth):"


def defined_options(lines: list[str]) -> list[str]:
    """The options that ``lines`` of ``--help`` output define (``  --name=VALUE  help``)."""
    return [line.split()[0].split("=")[0] for line in lines if line.startswith("  --")]


def tm_auth_group(help_text: str) -> dict[str, str]:
    """Each option of the ``tm-auth`` help group with its help text, wrapped lines joined."""
    group = help_text[help_text.index(GROUP_TITLE) :].split("\n\n", 1)[0].splitlines()[1:]
    helps: dict[str, list[str]] = {}
    for line in group:
        if line.startswith("  --"):
            helps[defined_options([line])[0]] = [line]
        else:
            list(helps.values())[-1].append(line)
    return {option: " ".join(" ".join(lines).split()) for option, lines in helps.items()}


def test_help_lists_every_option_in_one_group_with_its_env_variable(
    pytester: pytest.Pytester,
) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider", "--help")

    assert result.ret == pytest.ExitCode.OK
    group = tm_auth_group(result.stdout.str())
    everywhere = defined_options(result.outlines)
    for name in SPEC_SETTINGS:
        option = "--" + name.replace("_", "-")
        assert option in group
        assert everywhere.count(option) == 1, f"{option} is defined outside the tm-auth group"
        assert f"[env {name.upper()}]" in group[option]


def test_help_lists_every_ini_key(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider", "--help")

    ini_section = result.stdout.str().split("\n[pytest] ", 1)[1]  # wording varies by version
    for name in SPEC_SETTINGS:
        assert f"  {name} (string):" in ini_section, name
