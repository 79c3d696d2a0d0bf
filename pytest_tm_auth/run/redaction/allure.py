"""allure-pytest's results, scrubbed before its file writer serialises them.

allure-pytest builds its own model of each test as it runs (status details from the
exception, fixture steps, parameters from the test's arguments, captured output) and writes
it through its own pluggy hooks, not pytest's. This joins them: every result and container
is scrubbed just before it is written, whatever built it.
"""

from __future__ import annotations

import sys
from typing import Any

import pluggy
import pytest

from pytest_tm_auth.core.scrub import Scrubber
from pytest_tm_auth.run.redaction.scrubbed import scrub_inside

allure_hookimpl = pluggy.HookimplMarker("allure")


class AllureRedaction:
    """Registered with allure's own plugin manager while allure-pytest runs."""

    def __init__(self, scrubber: Scrubber) -> None:
        self.scrubber = scrubber

    @allure_hookimpl(tryfirst=True)
    def report_result(self, result: Any) -> None:
        scrub_inside(result, lambda text: self.scrubber.scrub(text, pieces=True))

    @allure_hookimpl(tryfirst=True)
    def report_container(self, container: Any) -> None:
        scrub_inside(container, lambda text: self.scrubber.scrub(text, pieces=True))


def join_allure(config: pytest.Config, scrubber: Scrubber) -> None:
    """When allure-pytest is loaded, scrub what it writes, until the run ends."""
    allure = sys.modules.get("allure_commons")
    manager = getattr(allure, "plugin_manager", None)
    if manager is None:
        return
    redaction = AllureRedaction(scrubber)
    manager.register(redaction)
    config.add_cleanup(lambda: manager.unregister(redaction))
