"""Test ids that hold a known secret show ``***`` instead, from the moment they are made;
parameter values that hold one are shown by a hidden repr.

A node id reaches the terminal, ``--collect-only``, live logs, junit, every reporter and the
cache folder (``lastfailed``, ``nodeids``): hiding the secret where the id is generated is
the only place that covers them all.
"""

from __future__ import annotations

import pytest

from pytest_tm_auth import _compat
from pytest_tm_auth.core.scrub import Scrubber
from pytest_tm_auth.run.plugin_base import HooksOnly


class IdRedaction(HooksOnly):
    """Masks secrets in parametrize ids: made from values, and given by the test."""

    def __init__(self, scrubber: Scrubber) -> None:
        self.scrubber = scrubber

    @pytest.hookimpl(tryfirst=True)
    def pytest_make_parametrize_id(self, val: object) -> str | None:
        """An id pytest would make from a value holding a secret; ``None`` leaves the rest."""
        if isinstance(val, str) and self.scrubber:
            scrubbed = self.scrubber.scrub(val)
            if scrubbed != val:
                return scrubbed
        return None

    @pytest.hookimpl(trylast=True)
    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Ids a test gives itself (``ids=[...]``, ``pytest.param(id=...)``), once made, and
        values whose repr ``--setup-show``, ``-l`` or a reporter would show.

        Last of the plain hooks, so after pytest's ``parametrize`` marks, the test module's
        and every conftest's ``pytest_generate_tests``; not a wrapper, which would cost every
        test function twice as much at collection for the few that are parametrized."""
        _compat.mask_parametrize(metafunc, self.scrubber.scrub)
