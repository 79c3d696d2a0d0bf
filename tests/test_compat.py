"""Each private pytest touch in ``pytest_tm_auth._compat`` still works with this pytest.

If one of these fails after a pytest upgrade, the plugin would quietly stop hiding secrets
in log output: mend ``_compat`` before anything else.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from pytest_tm_auth import _compat

REPORT_HANDLERS = """
    from pytest_tm_auth import _compat

    def test_report(pytestconfig):
        handlers = _compat.log_handlers(pytestconfig)
        print("COUNT=" + str(len(handlers)))
"""


def test_every_log_handler_of_pytest_is_found(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """Captured (caplog, report), live (``--log-cli-level``) and ``--log-file`` handlers."""
    pytester.makepyfile(test_inner=REPORT_HANDLERS)

    result = pytester.runpytest(
        "-s", "-p", "no:cacheprovider", "--log-cli-level=INFO", f"--log-file={tmp_path / 'f.log'}"
    )

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*COUNT={len(_compat.LOG_HANDLERS)}*"])


def test_the_handler_names_are_pytest_logging_plugin_attributes(
    pytestconfig: pytest.Config,
) -> None:
    plugin = pytestconfig.pluginmanager.get_plugin("logging-plugin")
    assert plugin is not None, "pytest's logging plugin is no longer registered as logging-plugin"
    for name in _compat.LOG_HANDLERS:
        assert isinstance(getattr(plugin, name, None), logging.Handler), name


REPLACE_TERMINAL_STREAM = """
    from pytest_tm_auth import _compat

    class Shouting:
        def __init__(self, stream):
            self.stream = stream

        def write(self, text):
            return self.stream.write(text.upper())

        def __getattr__(self, name):
            return getattr(self.stream, name)

    def test_replace(pytestconfig):
        assert _compat.replace_terminal_stream(pytestconfig, Shouting)
        pytestconfig.get_terminal_writer().line("written through the terminal writer")
"""


def test_the_terminal_writer_writes_through_the_replaced_stream(pytester: pytest.Pytester) -> None:
    """pytest-timeout's thread method prints through ``config.get_terminal_writer()``."""
    pytester.makepyfile(test_inner=REPLACE_TERMINAL_STREAM)

    result = pytester.runpytest("-p", "no:cacheprovider")

    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*WRITTEN THROUGH THE TERMINAL WRITER*", "*1 PASSED*"])
