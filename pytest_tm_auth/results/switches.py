"""The settings of publishing a run's results (section 11 of the product contract), and
the switches among them that turn collecting on.

Declared with the run's other settings (option, ini key, environment variable). The
switches (:data:`SWITCHES`) say at start whether results are collected at all, so they are
read where the run is started (command line, environment, ini file), never from a ``.env``
file, which a run reads only when it needs the plugin.
"""

from __future__ import annotations

from pytest_tm_auth.core.values import Setting

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
SWITCHES = (XRAY_PUBLISH, DRY_RUN)

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
}

RESULT_SETTINGS = (
    XRAY_PUBLISH,
    *SERVICE_SETTINGS["xray"],
    JOURNAL,
    DRY_RUN,
    ON_PUBLISH_FAILURE,
    ATTACH_OUTPUT,
)
