"""What reaches the terminal past every hook, scrubbed as it is written.

pytest-timeout's thread method (``--timeout-method thread``, its default where there is no
SIGALRM) ends a hung test from a timer thread: it prints the test's captured output and
every thread's stack through pytest's terminal writer, then ends the process with
``os._exit``. No report is made and no hook runs, so the text is scrubbed where it is
written: in the terminal writer's stream. Only where pytest-timeout is loaded.
"""

from __future__ import annotations

from typing import TextIO, cast

import pytest

from pytest_tm_auth import _compat
from pytest_tm_auth.core.scrub import Scrubber
from pytest_tm_auth.run.state import ScrubbingStream


def scrub_hung_test_output(config: pytest.Config, scrubber: Scrubber) -> bool:
    """Scrub all the terminal writer writes from now on; False while there is no terminal
    reporter yet (before the end of configure) or none at all."""

    def scrubbing(stream: TextIO) -> TextIO:
        if isinstance(stream, ScrubbingStream):
            return stream
        return cast(TextIO, ScrubbingStream(stream, scrubber))

    return _compat.replace_terminal_stream(config, scrubbing)
