"""The scrubber: long secrets wherever they appear, short ones only where they stand alone."""

from __future__ import annotations

import base64

import pytest

from pytest_tm_auth.core.scrub import SHORT_SECRET, Scrubber, is_short


def scrubber(*secrets: str) -> Scrubber:
    found = Scrubber()
    found.add(*secrets)
    return found


def test_a_long_secret_is_hidden_even_inside_other_text() -> None:
    hide = scrubber("demo-long-secret-not-real").scrub

    assert hide("x=demo-long-secret-not-real;") == "x=***;"
    assert hide("prefixdemo-long-secret-not-realsuffix") == "prefix***suffix"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("password=test", "password=***"),
        ("'test' and \"test\"", "'***' and \"***\""),
        ("def test_words():", "def test_words():"),
        ("at ***_ow.py:3 and test_ow.py:3", "at ***_ow.py:3 and test_ow.py:3"),
        ("contest testing test1 _test", "contest testing test1 _test"),
    ],
)
def test_a_short_secret_is_hidden_only_where_it_stands_alone(text: str, shown: str) -> None:
    assert scrubber("test").scrub(text) == shown


def test_a_short_secret_in_a_basic_header_is_still_hidden() -> None:
    header = base64.b64encode(b"demo-user:test").decode()
    other = base64.b64encode(b"demo-user:testing").decode()

    assert scrubber("test").scrub(f"Basic {header}") == "Basic ***"
    assert scrubber("test").scrub(f"Basic {other}") == f"Basic {other}"


def test_short_means_four_to_seven_characters() -> None:
    assert [is_short("x" * n) for n in (3, 4, SHORT_SECRET - 1, SHORT_SECRET)] == [
        False,
        True,
        True,
        False,
    ]
    assert not scrubber("abc")  # too short to scrub at all: nothing is known
