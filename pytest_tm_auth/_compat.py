"""Every touch of pytest's or urllib3's private parts, each with why no public way exists.

``tests/test_compat.py`` checks each against the installed versions, so that a change in
pytest fails loudly there instead of quietly letting a secret through.
"""

from __future__ import annotations

import logging

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
