"""Counts, per provider, the tests its missing credentials or failure skipped or failed."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from pytest_tm_auth.run.outcomes import raised_by
from pytest_tm_auth.run.plugin_base import HooksOnly
from pytest_tm_auth.run.state import ProviderRun


class OutcomeCounter(HooksOnly):
    """Registered before a provider first ends a test (see ``modes.outcome_counter``).

    It reads the outcome's exception, which names its provider: pytest replays a session
    fixture's skip or failure for every later test without calling the plugin again.
    """

    def __init__(self, states: Mapping[str, ProviderRun]) -> None:
        self._states = states

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, call: pytest.CallInfo[None]) -> None:
        found = raised_by(call.excinfo)
        if found is not None:
            name, skipped = found
            state = self._states.get(name)
            if state is not None:
                state.count(skipped=skipped)
