"""Each private pytest touch in ``pytest_tm_auth._compat`` still works with this pytest.

If one of these fails after a pytest upgrade, the plugin would quietly stop hiding secrets
in log output: mend ``_compat`` before anything else.
"""

from __future__ import annotations

import json
import logging
import sys
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


#: Marks the package for rewriting as pytest marks a pip-installed plugin's: a ``-p`` plugin
#: loads before the entry points do.
MARK_LIKE_PIP = """
    import pytest

    pytest.register_assert_rewrite("pytest_tm_auth")
"""

REPORT_LOADERS = """
    import json
    import sys

    def test_loaders():
        loaders = {
            name: type(module.__spec__.loader).__name__
            for name, module in list(sys.modules.items())
            if name.partition(".")[0] == "pytest_tm_auth"
        }
        print("LOADERS=" + json.dumps(loaders))
"""


def test_a_marked_package_loads_past_the_rewriting_hook(pytester: pytest.Pytester) -> None:
    """pytest's hook loads the package itself, which asks it to let the rest load plainly."""
    pytester.makepyfile(mark_like_pip=MARK_LIKE_PIP, test_inner=REPORT_LOADERS)

    result = pytester.runpytest_subprocess("-s", "-p", "mark_like_pip", "-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)
    line = next(text for text in result.outlines if "LOADERS=" in text)
    loaders = json.loads(line.partition("LOADERS=")[2])
    hooked = {name for name, kind in loaders.items() if kind == "AssertionRewritingHook"}
    # What loads before the package asks: itself (installed from a wheel) and _compat,
    # which imports nothing of the package at its top.
    assert hooked, "the package was not marked: the test shows nothing"
    assert hooked <= {"pytest_tm_auth", "pytest_tm_auth._compat"}, sorted(hooked)
    assert loaders["pytest_tm_auth.run.startup"] == "SourceFileLoader"


def test_the_rewriting_hook_keeps_its_marks_where_compat_looks() -> None:
    """``_must_rewrite`` (a set of names) and ``_marked_for_rewrite_cache`` (a dict)."""
    from _pytest.assertion.rewrite import AssertionRewritingHook

    hook = next(f for f in sys.meta_path if isinstance(f, AssertionRewritingHook))
    assert isinstance(hook._must_rewrite, set)
    assert isinstance(hook._marked_for_rewrite_cache, dict)
    hook._must_rewrite.add("demo_marked_package")
    try:
        assert _compat.load_without_rewriting("demo_marked_package")
        assert "demo_marked_package" not in hook._must_rewrite
        assert not _compat.load_without_rewriting("demo_marked_package")
    finally:
        hook._must_rewrite.discard("demo_marked_package")


ADD_OPTION = """
    from pytest_tm_auth import _compat

    def pytest_addoption(parser):
        group = parser.getgroup("demo-group", "demo options")
        print("PRIVATE=" + str(callable(getattr(group, "_addoption", None))))
        _compat.add_option(group, "--demo-colour", dest="demo_colour", default=None)
        _compat.add_option(group, "--demo-shade", dest="demo_shade", action="store_true")
"""
SHOW_OPTIONS = """
    def test_options(pytestconfig):
        colour, shade = pytestconfig.getoption("demo_colour"), pytestconfig.getoption("demo_shade")
        print(f"COLOUR={colour} SHADE={shade}")
"""


def test_an_option_added_past_the_group_check_parses_and_shows_in_its_group(
    pytester: pytest.Pytester,
) -> None:
    """``OptionGroup._addoption`` is still there, and takes ``addoption``'s arguments."""
    pytester.makeconftest(ADD_OPTION)
    pytester.makepyfile(test_inner=SHOW_OPTIONS)

    result = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider", "--demo-colour=teal")

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*PRIVATE=True*", "*COLOUR=teal SHADE=False*"])
    shown = pytester.runpytest_subprocess("--help")
    shown.stdout.fnmatch_lines(["demo options:", "*--demo-colour=DEMO_COLOUR*", "*--demo-shade*"])


def test_an_option_name_given_twice_is_still_refused(pytester: pytest.Pytester) -> None:
    """Past pytest's own check, argparse refuses a name another option has."""
    pytester.makeconftest(
        ADD_OPTION + "\n        _compat.add_option(group, '--demo-colour', dest='again')\n"
    )
    pytester.makepyfile(test_inner=SHOW_OPTIONS)

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")

    assert result.ret != 0
    assert "conflicting option string: --demo-colour" in str(result.stderr) + str(result.stdout)
