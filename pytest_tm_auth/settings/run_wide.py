"""Settings that belong to the run rather than to one service: transport, policy, modes,
publishing the run's results; and a provider's URL setting checked under them
(:func:`site_url`)."""

from __future__ import annotations

from pytest_tm_auth.core.urls import checked_url
from pytest_tm_auth.core.values import Setting, Values, parse_count, parse_rate, parse_seconds

ENV_FILE = Setting(
    "tm_auth_env_file",
    "Comma-separated .env file(s) to read credentials from (default: .env in the rootdir)",
    metavar="PATHS",
)
ON_MISSING = Setting(
    "tm_auth_on_missing",
    "What a test that needs an unconfigured provider gets: skip (default) or fail",
    default="skip",
    choices=("skip", "fail"),
)
TIMEOUT = Setting(
    "tm_auth_timeout",
    "Seconds for a connection and a whole answer, per attempt (default 10, at most 600)",
    default="10",
    parse=parse_seconds,
    metavar="SECONDS",
)
RETRIES = Setting(
    "tm_auth_retries",
    "Retries for 429, 502/503/504 and connection errors, with backoff (default 3, at most 10)",
    default="3",
    parse=parse_count,
    metavar="N",
)
CA_BUNDLE = Setting(
    "tm_auth_ca_bundle",
    "CA bundle file to verify TLS with (a corporate or custom CA)",
    metavar="PATH",
)
INSECURE = Setting(
    "tm_auth_insecure",
    "Turn TLS certificate verification off (unsafe; warns)",
    flag=True,
)
ALLOW_HTTP = Setting(
    "tm_auth_allow_http",
    "Allow plain http:// URLs to hosts other than loopback (credentials unencrypted)",
    flag=True,
)
REMEMBER = Setting(
    "tm_auth_remember",
    "Reuse tokens across runs until shortly before they expire",
    flag=True,
)
RESET = Setting(
    "tm_auth_reset",
    "Forget remembered tokens before the run (never from .env)",
    flag=True,
)
CHECK = Setting(
    "tm_auth_check",
    "Log in to every configured provider, print a table and exit (runs no tests; never from .env)",
    flag=True,
)
SANDBOX = Setting(
    "tm_auth_sandbox",
    "Point every built-in provider at an in-process stand-in server with demo credentials",
    flag=True,
)

#: What one run does, not how runs are set up: never taken from a ``.env`` file, which may be
#: read only after start, and where one turned on would repeat it in every later run.
ACTIONS = (RESET, CHECK)

RUN_WIDE_SETTINGS: tuple[Setting, ...] = (
    ENV_FILE,
    ON_MISSING,
    TIMEOUT,
    RETRIES,
    CA_BUNDLE,
    INSECURE,
    ALLOW_HTTP,
    REMEMBER,
    RESET,
    CHECK,
    SANDBOX,
)


# Publishing a run's results (section 11 of the product contract). Declared here, with the
# run's other settings, rather than in ``results/``: every run declares them, and a run
# that publishes nothing imports nothing of ``results/``. The switches say at start
# whether results are collected at all, so they are read where the run is started
# (command line, environment, ini file), never from a ``.env`` file (one found there is a
# usage error, as for the run's actions).

XRAY_PUBLISH = Setting(
    "xray_publish",
    "Publish the results of tests marked xray to a Test Execution at the end of the run",
    flag=True,
)
XRAY_PROJECT = Setting(
    "xray_project", "Project key of a new Test Execution (e.g. DEMO)", metavar="KEY"
)
XRAY_TEST_EXECUTION = Setting(
    "xray_test_execution",
    "An existing Test Execution to import into, instead of creating one",
    metavar="KEY",
)
XRAY_TEST_PLAN = Setting("xray_test_plan", "Test Plan the Test Execution belongs to", metavar="KEY")
XRAY_TEST_ENVIRONMENTS = Setting(
    "xray_test_environments", "Comma-separated test environments of the execution", metavar="NAMES"
)
XRAY_FIX_VERSION = Setting(
    "xray_fix_version", "Fix version of the Test Execution", metavar="VERSION"
)
XRAY_REVISION = Setting(
    "xray_revision", "Revision (e.g. a commit) of the Test Execution", metavar="TEXT"
)
XRAY_SUMMARY = Setting(
    "xray_summary",
    "Summary of a new Test Execution (default: names the run, its host and time)",
    metavar="TEXT",
)
XRAY_STATUSES = Setting(
    "xray_statuses",
    "Status names for pytest outcomes, overriding the defaults: e.g. skipped=ABORTED,xfailed=TODO",
    metavar="OUTCOME=STATUS,...",
)
ZEPHYR_PUBLISH = Setting(
    "zephyr_publish",
    "Publish the results of tests marked zephyr to a Zephyr Scale test cycle at the end of the run",
    flag=True,
)
ZEPHYR_PROJECT = Setting(
    "zephyr_project", "Zephyr Scale project key of the results (e.g. DEMO)", metavar="KEY"
)
ZEPHYR_TEST_CYCLE = Setting(
    "zephyr_test_cycle",
    "An existing test cycle (Cloud) or test run (Data Center) to add the results to",
    metavar="KEY",
)
ZEPHYR_CYCLE_NAME = Setting(
    "zephyr_cycle_name",
    "Name of a new test cycle or test run (default: names the run, its host and time)",
    metavar="TEXT",
)
ZEPHYR_ENVIRONMENT = Setting(
    "zephyr_environment", "Zephyr Scale environment of every result", metavar="NAME"
)
JOURNAL = Setting(
    "tm_auth_journal",
    "Where the run's results journal is written (default: a private file per run under "
    "pytest's cache directory)",
    metavar="PATH",
)
DRY_RUN = Setting(
    "tm_auth_dry_run",
    "Build, check and journal the results that would be published; send nothing",
    flag=True,
)
ON_PUBLISH_FAILURE = Setting(
    "tm_auth_on_publish_failure",
    "What results that did not land make of the run: fail (default: exit status 1) or warn",
    default="fail",
    choices=("fail", "warn"),
)
ATTACH_OUTPUT = Setting(
    "tm_auth_attach_output",
    "Attach a failed linked test's captured output (scrubbed) as evidence",
    flag=True,
)

#: Read at start to decide whether results are collected; never from a ``.env`` file.
SWITCHES = (XRAY_PUBLISH, ZEPHYR_PUBLISH, DRY_RUN)
#: Each service's switch, by service name.
PUBLISH_SWITCHES = {"xray": XRAY_PUBLISH, "zephyr": ZEPHYR_PUBLISH}

#: What a service's publishing reads, by service name.
SERVICE_SETTINGS = {
    "xray": (
        XRAY_PROJECT,
        XRAY_TEST_EXECUTION,
        XRAY_TEST_PLAN,
        XRAY_TEST_ENVIRONMENTS,
        XRAY_FIX_VERSION,
        XRAY_REVISION,
        XRAY_SUMMARY,
        XRAY_STATUSES,
    ),
    "zephyr": (ZEPHYR_PROJECT, ZEPHYR_TEST_CYCLE, ZEPHYR_CYCLE_NAME, ZEPHYR_ENVIRONMENT),
}

RESULT_SETTINGS = (
    XRAY_PUBLISH,
    *SERVICE_SETTINGS["xray"],
    ZEPHYR_PUBLISH,
    *SERVICE_SETTINGS["zephyr"],
    JOURNAL,
    DRY_RUN,
    ON_PUBLISH_FAILURE,
    ATTACH_OUTPUT,
)


def site_url(values: Values, name: str) -> str:
    """The URL held by setting ``name``, checked as the built-ins check theirs.

    Refuses a malformed URL, one carrying credentials, and plain ``http://`` to a host that is
    not loopback (unless ``--tm-auth-allow-http``), with a :class:`~pytest_tm_auth.ConfigError`
    naming the setting and its source. Returns it without a trailing slash.
    """
    text = values.text(name)
    if text is None:
        raise ValueError(f"{name} is not set: check for missing credentials first")
    return checked_url(text, values.describe(name), allow_http=values.flag(ALLOW_HTTP.name))


# The run's request budget per service (one for every process of the run, see docs/xdist.md).
# Declared after the others; RUN_WIDE_SETTINGS lists them too.
XRAY_RATE_LIMIT = Setting(
    "xray_rate_limit",
    "Requests to Xray the whole run may send, as N/SECONDS (default: 300/300 on Xray Cloud)",
    parse=parse_rate,
    metavar="N/SECONDS",
)
ZEPHYR_RATE_LIMIT = Setting(
    "zephyr_rate_limit",
    "Requests to Zephyr Scale the whole run may send, as N/SECONDS (default: what it answers)",
    parse=parse_rate,
    metavar="N/SECONDS",
)
JIRA_RATE_LIMIT = Setting(
    "jira_rate_limit",
    "Requests to Jira the whole run may send, as N/SECONDS (default: what it answers)",
    parse=parse_rate,
    metavar="N/SECONDS",
)
RATE_LIMITS = {"xray": XRAY_RATE_LIMIT, "zephyr": ZEPHYR_RATE_LIMIT, "jira": JIRA_RATE_LIMIT}
RUN_WIDE_SETTINGS += tuple(RATE_LIMITS.values())
