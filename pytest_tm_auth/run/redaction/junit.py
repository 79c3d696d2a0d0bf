"""``--junitxml``'s own values, scrubbed before the file is written.

``record_property`` values travel in the report, which is scrubbed as it is made; suite
properties (``record_testsuite_property``) and extra attributes (``record_xml_attribute``)
go straight into the junit plugin's objects.
"""

from __future__ import annotations

import pytest

from pytest_tm_auth import _compat
from pytest_tm_auth.core.scrub import Scrubber
from pytest_tm_auth.run.plugin_base import HooksOnly


class JunitRedaction(HooksOnly):
    """Scrubs the junit plugin's suite properties and test case attributes."""

    def __init__(self, scrubber: Scrubber, config: pytest.Config) -> None:
        self.scrubber = scrubber
        self._config = config

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self) -> None:
        """Before junit writes a test case out (at its teardown report)."""
        _, cases = _compat.junit_texts(self._config)
        for attributes in cases:
            for name, value in attributes.items():
                attributes[name] = self.scrubber.scrub(value)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        """Before junit writes the suite's properties."""
        properties, _ = _compat.junit_texts(self._config)
        properties[:] = [(name, self.scrubber.scrub(value)) for name, value in properties]
