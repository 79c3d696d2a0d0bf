"""Every touch of pytest's or urllib3's private parts, each with why no public way exists.

``tests/test_compat.py`` checks each against the installed versions, so that a change in
pytest fails loudly there instead of quietly letting a secret through.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from collections.abc import Callable
from typing import Any, TextIO

import pytest

#: pytest's log handlers: captured per test (caplog, report), ``--log-cli-level``, ``--log-file``.
LOG_HANDLERS = ("caplog_handler", "report_handler", "log_cli_handler", "log_file_handler")


def log_handlers(config: pytest.Config) -> list[logging.Handler]:
    """pytest's own log handlers, so that a filter can scrub records before they are written.

    Why private: pytest has no public way to reach the handlers of its logging plugin, and
    records written live (``--log-cli-level``) or to ``--log-file`` pass through no report
    that a hook could scrub. Empty before the logging plugin is configured.
    """
    plugin = config.pluginmanager.get_plugin("logging-plugin")
    if plugin is None:
        return []
    found = [getattr(plugin, name, None) for name in LOG_HANDLERS]
    return [handler for handler in found if isinstance(handler, logging.Handler)]


def scrub_report_sections(item: pytest.Item, scrub: Callable[[str], str]) -> None:
    """The captured output pytest keeps on the test item, scrubbed in place.

    Why private: pytest-json-report reads ``item._report_sections`` (stdout, stderr) in its
    own ``pytest_runtest_makereport`` wrapper rather than the report's sections, and no hook
    hands that list out.
    """
    sections = getattr(item, "_report_sections", None)
    if isinstance(sections, list):
        sections[:] = [(when, key, scrub(content)) for when, key, content in sections]


def mask_parametrize(metafunc: pytest.Metafunc, scrub: Callable[[str], str]) -> None:
    """The calls ``metafunc`` generated, with every known secret hidden in their ids, and
    each parameter value holding one made a :class:`Secret` (equal, with a hidden repr).

    Why private: ``pytest_make_parametrize_id`` sees only the ids pytest makes from values;
    ids a test gives itself (``ids=[...]``, ``pytest.param(id=...)``) and the values that
    ``--setup-show``, ``-l`` and allure-pytest show by their repr are reachable only through
    ``Metafunc._calls``, each a ``CallSpec`` with ``_idlist`` and ``params``.
    """
    calls = metafunc._calls
    if not calls:
        return  # not parametrized, as most test functions are: nothing to import or mask
    # Here, not at the top: pytest's assertion-rewriting hook loads this module, and every
    # module it imports before the package unmarks itself (``load_without_rewriting``).
    from pytest_tm_auth.core.values import Secret

    for index, callspec in enumerate(calls):
        # pytest 8 keeps every value in ``params``; pytest 7 direct ones in ``funcargs``.
        for values in (callspec.params, getattr(callspec, "funcargs", {})):
            for name, value in values.items():
                if not isinstance(value, str) or isinstance(value, Secret):
                    continue
                if scrub(value) != value:
                    values[name] = Secret(value)
        ids = [scrub(part) if isinstance(part, str) else part for part in callspec._idlist]
        if ids != list(callspec._idlist):
            calls[index] = dataclasses.replace(callspec, _idlist=ids)


def junit_texts(config: pytest.Config) -> tuple[list[tuple[str, str]], list[dict[str, str]]]:
    """``--junitxml``'s suite properties, and the extra attributes of its open test cases
    (those not written yet: one, or one per xdist worker), to scrub in place.

    Why private: ``record_testsuite_property`` and ``record_xml_attribute`` write their
    values into the junit plugin's own objects, which no hook hands out.
    """
    from _pytest.junitxml import xml_key

    xml = config.stash.get(xml_key, None)
    if xml is None:
        return [], []
    return xml.global_properties, [reporter.attrs for reporter in xml.node_reporters.values()]


def conftest_failure_cause(error: BaseException) -> BaseException | None:
    """The exception a ``conftest.py`` raised while pytest loaded it at start, if ``error``
    is pytest's wrapper of one.

    Why private: pytest prints it itself (``ImportError while loading conftest``) before any
    hook sees a report, from ``ConftestImportFailure.cause`` (``.excinfo`` before pytest 8).
    """
    from _pytest.config import ConftestImportFailure

    if not isinstance(error, ConftestImportFailure):
        return None
    cause = getattr(error, "cause", None)
    if isinstance(cause, BaseException):
        return cause
    excinfo = getattr(error, "excinfo", None)
    return excinfo[1] if isinstance(excinfo, tuple) and len(excinfo) == 3 else None


def replace_terminal_stream(config: pytest.Config, wrap: Callable[[TextIO], TextIO]) -> bool:
    """The stream pytest's terminal writer writes to, replaced by ``wrap(stream)``; False
    when there is no terminal reporter (``-p no:terminal``).

    Why private: pytest-timeout's thread method writes a hung test's captured output through
    ``config.get_terminal_writer()`` from its timer thread, then ends the process: no hook
    sees that text. ``TerminalWriter`` keeps its stream in ``_file``, which it writes through.
    """
    if config.pluginmanager.get_plugin("terminalreporter") is None:
        return False
    writer = config.get_terminal_writer()
    writer._file = wrap(writer._file)
    return True


def add_option(group: pytest.OptionGroup, name: str, **attrs: Any) -> None:
    """``group.addoption(name, **attrs)``, without the check of ``name`` against the names
    of every option the group holds already.

    Why private: ``OptionGroup.addoption`` lists the names of all the group's options anew
    for each option added, which makes a group of fifty (the plugin's settings, one help
    group) cost some 2 M instructions at every run's start. ``_addoption`` is the same way in
    without that check, which pytest uses for its own options; argparse still refuses a name
    given twice (``conflicting option string``).
    """
    adding = getattr(group, "_addoption", None)
    if callable(adding):
        adding(name, **attrs)
    else:
        group.addoption(name, **attrs)


def load_without_rewriting(package: str) -> bool:
    """The modules of ``package`` not imported yet load with Python's own loader rather than
    through pytest's assertion-rewriting hook; True when the hook had them marked.

    Why private: pytest marks every top-level package of a distribution with a ``pytest11``
    entry point, so that a plugin's ``assert`` statements explain themselves, and its hook then
    loads each of the package's modules: it checks the source, opens its own cached bytecode
    and unmarshals it from a file object, which costs more than Python's loader does. This
    package asserts nothing at run time, and pytest offers no public way to say so
    (``PYTEST_DONT_REWRITE`` stops the rewriting, not the hook's loading). The hook keeps
    the marked names in ``_must_rewrite`` and its verdicts in ``_marked_for_rewrite_cache``.
    """
    from _pytest.assertion.rewrite import AssertionRewritingHook

    for finder in sys.meta_path:
        if not isinstance(finder, AssertionRewritingHook) or package not in finder._must_rewrite:
            continue
        finder._must_rewrite.discard(package)
        finder._marked_for_rewrite_cache.clear()
        return True
    return False
