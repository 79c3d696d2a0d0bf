"""Test ids that hold a known secret show ``***`` instead, from the moment they are made;
parameter values that hold one are shown by a hidden repr.

A node id reaches the terminal, ``--collect-only``, live logs, junit, every reporter and the
cache folder (``lastfailed``, ``nodeids``): hiding the secret where the id is generated is
the only place that covers them all.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from pytest_tm_auth import _compat
from pytest_tm_auth.core.scrub import Scrubber


class IdRedaction:
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

    @pytest.hookimpl(wrapper=True)
    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> Generator[None, None, None]:
        """Ids a test gives itself (``ids=[...]``, ``pytest.param(id=...)``), once made, and
        values whose repr ``--setup-show``, ``-l`` or a reporter would show."""
        yield
        if self.scrubber:
            _compat.mask_parametrize(metafunc, self.scrubber.scrub)
