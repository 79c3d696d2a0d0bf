"""A report is scrubbed as it is made only when another plugin reads it there.

pytest, the terminal, ``--junitxml`` and pytest-html read a report when it is logged, where
the redaction scrubs it at one plain hook call per phase. A plugin's own
``pytest_runtest_makereport`` wrapper (allure-pytest, pytest-json-report, pytest-csv, a
conftest's) reads it earlier: then it is also scrubbed innermost, before that wrapper runs.
"""

from __future__ import annotations

import pytest

from pytest_tm_auth.sandbox import DEMO, Sandbox

FAILING = """
import os

def test_fails_with_the_secret():
    assert False, "refused with " + os.environ["ZEPHYR_TOKEN"]
"""

#: A conftest's wrapper that keeps what it reads of each report in a file.
READING_CONFTEST = """
import pytest

@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    with open("read-in-makereport.txt", "a") as kept:
        kept.write(report.longreprtext)
    return report
"""

#: Says, once the run ends, whether the innermost scrubbing wrapper took part.
WITNESS = """
def pytest_unconfigure(config):
    made = config.pluginmanager.has_plugin("tm_auth_redaction_made")
    print("made reports scrubbed:", made)
"""


def blocked_reporters() -> tuple[str, ...]:
    """The plugins of this project's test tools that wrap makereport (when active)."""
    return ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:allure_pytest")


def test_a_conftest_wrapper_reads_each_report_scrubbed(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makeconftest(READING_CONFTEST + WITNESS)
    pytester.makepyfile(FAILING)

    result = pytester.runpytest_subprocess("-s", *blocked_reporters())

    result.assert_outcomes(failed=1)
    read = (pytester.path / "read-in-makereport.txt").read_text(encoding="utf-8")
    assert "refused with ***" in read  # the wrapper did read the failure
    assert DEMO.zephyr_token not in read
    assert "made reports scrubbed: True" in result.stdout.str()


def test_without_such_a_wrapper_reports_are_scrubbed_when_logged(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    """pytest's and pytest-html's own wrappers read no text: one plain hook does it all."""
    pytester.makeconftest(WITNESS)
    pytester.makepyfile(FAILING)

    result = pytester.runpytest_subprocess(
        "-s", "-rA", "--junitxml=junit.xml", *blocked_reporters()
    )

    result.assert_outcomes(failed=1)
    assert "made reports scrubbed: False" in result.stdout.str()
    output = result.stdout.str() + (pytester.path / "junit.xml").read_text(encoding="utf-8")
    assert "refused with ***" in output
    assert DEMO.zephyr_token not in output
