"""The scrubber's secrets found late: every thread waits for them, none is shown meanwhile."""

from __future__ import annotations

import threading

from pytest_tm_auth.core.scrub import Scrubber

SECRET = "fake-secret-found-late-0001"


def test_a_thread_scrubbing_while_secrets_are_found_waits_for_them() -> None:
    scrubber = Scrubber()
    finding, release = threading.Event(), threading.Event()

    def find() -> list[str]:
        finding.set()
        release.wait(10)
        return [SECRET]

    scrubber.add_later(find)
    first = threading.Thread(target=scrubber.scrub, args=("anything",))
    first.start()
    assert finding.wait(10)
    seen: list[str] = []
    second = threading.Thread(target=lambda: seen.append(scrubber.scrub(f"token {SECRET}")))
    second.start()
    release.set()
    first.join(10)
    second.join(10)

    assert seen == ["token ***"]


def test_text_scrubbed_by_the_finder_itself_neither_recurses_nor_finds_twice() -> None:
    """python-dotenv logs a parse warning while the file is read: the log filter scrubs it."""
    scrubber = Scrubber()
    calls: list[str] = []

    def find() -> list[str]:
        calls.append(scrubber.scrub("could not parse line 3"))
        return [SECRET]

    scrubber.add_later(find)

    assert scrubber.scrub(f"token {SECRET}") == "token ***"
    assert calls == ["could not parse line 3"]
    assert scrubber.scrub(SECRET) == "***"
    assert len(calls) == 1
