"""Small messages that must say exactly what is true: the file ``--debug`` writes, how long
a credential has left, the expiry of an expired token in the check table."""

from __future__ import annotations

import pytest

from pytest_tm_auth.sandbox import Sandbox


@pytest.mark.parametrize(
    ("option", "written"),
    [("--debug", "pytestdebug.log"), ("--debug=trace-of-this-run.log", "trace-of-this-run.log")],
)
def test_the_debug_warning_names_the_file_pytest_writes(
    pytester: pytest.Pytester, cloud_env: Sandbox, option: str, written: str
) -> None:
    pytester.makepyfile("def test_plain(): pass")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist", option)
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [f"*DebugTraceWarning: --debug writes pytest's hook trace to its log file ({written})*"]
    )
    assert (pytester.path / written).exists()
    assert "pytestdebug.log" not in result.stdout.str() or written == "pytestdebug.log"
