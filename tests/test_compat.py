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
