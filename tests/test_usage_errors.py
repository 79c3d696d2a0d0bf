"""A setting that cannot be right stops the run before any test, with one line that says so.

Each case must end in ``pytest.UsageError`` (exit code 4) whose message names the setting and
where its value came from, with no traceback, and never shows a secret.
"""

from __future__ import annotations

import pytest

CLOUD_XRAY = {"XRAY_CLIENT_ID": "fake-client-id-0001", "XRAY_CLIENT_SECRET": "fake-secret-0001"}
DC_JIRA = {"JIRA_URL": "https://jira.example.com", "JIRA_TOKEN": "fake-pat-0001"}

CASES = [
    pytest.param(
        {"XRAY_DEPLOYMENT": "onprem"},
        [],
        ["'onprem'", "--xray-deployment from env (XRAY_DEPLOYMENT)", "auto, cloud, datacenter"],
        id="unknown-deployment",
    ),
    pytest.param(
        {},
        ["--xray-region=mars"],
        ["'mars'", "--xray-region from the command line", "global, us, eu, au"],
        id="unknown-xray-region",
    ),
    pytest.param(
        {"ZEPHYR_REGION": "us"},
        [],
        ["'us'", "--zephyr-region from env (ZEPHYR_REGION)", "global, eu"],
        id="unknown-zephyr-region",
    ),
    pytest.param(
        {"TM_AUTH_TIMEOUT": "ten"},
        [],
        [
            "'ten'",
            "--tm-auth-timeout from env (TM_AUTH_TIMEOUT)",
            "expected a number of seconds above 0",
        ],
        id="timeout-not-a-number",
    ),
    pytest.param(
        {},
        ["--tm-auth-timeout=-5"],
        ["'-5'", "--tm-auth-timeout from the command line", "above 0 and at most 600"],
        id="timeout-negative",
    ),
    pytest.param(
        {"TM_AUTH_RETRIES": "-1"},
        [],
        ["'-1'", "--tm-auth-retries from env (TM_AUTH_RETRIES)", "whole number"],
        id="retries-negative",
    ),
    pytest.param(
        {"TM_AUTH_INSECURE": "maybe"},
        [],
        ["'maybe'", "--tm-auth-insecure from env (TM_AUTH_INSECURE)"],
        id="flag-not-yes-or-no",
    ),
    pytest.param(
        {},
        ["--tm-auth-on-missing=ignore"],
        ["'ignore'", "--tm-auth-on-missing from the command line", "skip, fail"],
        id="unknown-on-missing",
    ),
    pytest.param(
        {**DC_JIRA, "JIRA_URL": "jira.example.com"},
        [],
        ["Malformed URL 'jira.example.com'", "--jira-url from env (JIRA_URL)"],
        id="url-without-scheme",
    ),
    pytest.param(
        CLOUD_XRAY,
        ["--xray-url=https://"],
        ["Malformed URL 'https://'", "--xray-url from the command line"],
        id="url-without-host",
    ),
    pytest.param(
        {"ZEPHYR_TOKEN": "fake-zephyr-token-0001", "ZEPHYR_URL": "https://api.example.com:v2/"},
        [],
        ["Malformed URL", "--zephyr-url from env (ZEPHYR_URL)"],
        id="url-with-bad-port",
    ),
    pytest.param(
        {**DC_JIRA, "JIRA_URL": "https://jira.example.com/?os_authType=basic"},
        [],
        ["query", "--jira-url from env (JIRA_URL)"],
        id="url-with-query",
    ),
    pytest.param(
        {**DC_JIRA, "JIRA_URL": "http://jira.example.com"},
        [],
        ["http://jira.example.com", "--jira-url from env (JIRA_URL)", "--tm-auth-allow-http"],
        id="plain-http-to-a-remote-jira",
    ),
    pytest.param(
        CLOUD_XRAY,
        ["--xray-url=http://xray.example.com"],
        ["http://xray.example.com", "--xray-url from the command line", "--tm-auth-allow-http"],
        id="plain-http-to-a-remote-xray",
    ),
    pytest.param(
        {"XRAY_CLIENT_ID": "fake-client-id-0001"},
        ["--xray-deployment=datacenter"],
        ["--xray-deployment from the command line", "--xray-client-id from env (XRAY_CLIENT_ID)"],
        id="xray-datacenter-with-a-cloud-client-id",
    ),
    pytest.param(
        {"ZEPHYR_TOKEN": "fake-zephyr-token-0001", **DC_JIRA},
        ["--zephyr-deployment=datacenter"],
        ["--zephyr-deployment from the command line", "--zephyr-token from env (ZEPHYR_TOKEN)"],
        id="zephyr-datacenter-with-a-cloud-token",
    ),
    pytest.param(
        {**DC_JIRA, "JIRA_URL": "https://acme.atlassian.net", "XRAY_DEPLOYMENT": "datacenter"},
        [],
        ["Xray Data Center", "--jira-url from env (JIRA_URL)", "Jira Cloud"],
        id="xray-datacenter-against-jira-cloud",
    ),
    pytest.param(
        {
            "JIRA_URL": "https://acme.atlassian.net",
            "JIRA_USERNAME": "fake.user@example.com",
            "JIRA_PASSWORD": "fake-password-0001",
        },
        [],
        ["Jira Cloud refuses passwords", "--jira-password from env (JIRA_PASSWORD)"],
        id="jira-cloud-with-a-password",
    ),
    pytest.param(
        {"TM_AUTH_CA_BUNDLE": "/nonexistent/corporate-ca.pem"},
        [],
        ["/nonexistent/corporate-ca.pem", "--tm-auth-ca-bundle from env (TM_AUTH_CA_BUNDLE)"],
        id="ca-bundle-missing",
    ),
    pytest.param(
        {},
        ["--tm-auth-env-file=missing.env"],
        ["missing.env", "--tm-auth-env-file from the command line", "does not exist"],
        id="env-file-missing",
    ),
    pytest.param(
        {"TM_AUTH_ENV_FILE": "ci.env"},
        [],
        ["ci.env", "--tm-auth-env-file from env (TM_AUTH_ENV_FILE)", "does not exist"],
        id="env-file-from-env-missing",
    ),
]


def the_usage_error(result: pytest.RunResult) -> str:
    """The run's one error line; fails unless the run stopped cleanly with a usage error."""
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert "passed" not in result.stdout.str()
    lines = [line for line in result.stderr.lines if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("ERROR: ")
    return lines[0]


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile("def test_never_runs(): pass")
    return pytester.runpytest("-p", "no:cacheprovider", *args)


@pytest.mark.parametrize(("environ", "args", "says"), CASES)
def test_invalid_setting_stops_the_run_with_one_line(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],
    args: list[str],
    says: list[str],
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)

    error = the_usage_error(run(pytester, *args))

    for fragment in says:
        assert fragment in error


def test_the_error_names_the_ini_file_a_bad_value_came_from(pytester: pytest.Pytester) -> None:
    pytester.makefile(".ini", pytest="[pytest]\nxray_region = mars\n")

    error = the_usage_error(run(pytester))

    assert "'mars' for --xray-region from ini (pytest.ini)" in error


def test_the_error_names_the_env_file_a_bad_value_came_from(pytester: pytest.Pytester) -> None:
    (pytester.path / "team.env").write_text("XRAY_REGION=eu\n")
    (pytester.path / "mine.env").write_text("XRAY_DEPLOYMENT=onprem\n")

    error = the_usage_error(run(pytester, "--tm-auth-env-file=team.env,mine.env"))

    assert "'onprem' for --xray-deployment from .env (mine.env)" in error


# Secrets in bad values are never shown


def test_a_secret_with_a_space_inside_is_refused_without_showing_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZEPHYR_TOKEN", "fake-zephyr token-0001")

    error = the_usage_error(run(pytester))

    assert "--zephyr-token from env (ZEPHYR_TOKEN) contains a space or line break" in error
    assert "fake-zephyr" not in error
    assert "token-0001" not in error


@pytest.mark.parametrize("name", ["JIRA_TOKEN", "JIRA_PASSWORD", "XRAY_CLIENT_SECRET"])
def test_a_secret_with_a_line_break_inside_is_refused_without_showing_it(
    pytester: pytest.Pytester, name: str
) -> None:
    """Even a password, which may hold spaces, never holds a line break."""
    (pytester.path / ".env").write_text(f'{name}="fake-first-line\\nfake-second-line"\n')

    error = the_usage_error(run(pytester))

    option = "--" + name.lower().replace("_", "-")
    assert f"{option} from .env (.env) contains" in error
    assert "line break" in error
    assert "fake-" not in error


def test_a_url_carrying_a_password_is_refused_without_showing_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked before anything else about the URL, since other messages quote it."""
    monkeypatch.setenv("JIRA_TOKEN", "fake-pat-0001")
    monkeypatch.setenv("JIRA_URL", "https://fake-user:fake-url-password@jira.example.com:x/")

    error = the_usage_error(run(pytester))

    assert "--jira-url from env (JIRA_URL) carries credentials" in error
    assert "fake-url-password" not in error


# What is allowed


ACCEPTS_TARGET_URL = """
def test_target_url(tm_auth):
    assert tm_auth.state("jira").target.url == {url!r}
"""


def test_plain_http_to_a_remote_host_is_accepted_when_allowed(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_URL", "http://jira.example.com")
    monkeypatch.setenv("JIRA_TOKEN", "fake-pat-0001")
    pytester.makepyfile(ACCEPTS_TARGET_URL.format(url="http://jira.example.com"))

    result = pytester.runpytest("-p", "no:cacheprovider", "--tm-auth-allow-http")

    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost:8080/jira", "http://[::1]:8080"]
)
def test_plain_http_to_loopback_needs_no_permission(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    """The credentials never leave the machine: the stand-in server is used this way."""
    monkeypatch.setenv("JIRA_URL", url)
    monkeypatch.setenv("JIRA_TOKEN", "fake-pat-0001")
    pytester.makepyfile(ACCEPTS_TARGET_URL.format(url=url))

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("XRAY_URL", "https://xray example.com"),
        ("ZEPHYR_URL", "ftp://zephyr.example.com/v2/"),
        ("JIRA_URL", "http://jira.example.com"),
    ],
)
def test_a_bad_url_stops_the_run_even_when_its_provider_has_no_credentials(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    pytester.makepyfile("def test_nothing(): pass")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: *URL*{variable}*"])
