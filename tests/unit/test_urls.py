"""A plain URL read without urllib.parse reads as urlsplit reads it, and checks the same."""

from __future__ import annotations

import ipaddress
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from pytest_tm_auth.core import urls
from pytest_tm_auth.core.errors import ConfigError

#: Characters a URL setting might hold, plain ones and every kind urlsplit treats apart.
SEPARATORS = ["https", "http", "://", ":", "/", ".", "-", "_", "~", "@", "?", "#", "%", "[", "]"]
WORDS = [" ", "x", "J", "ira", "127", "0", "1", "255", "256", "08", "443", "65536", "é", "٣", "\\"]
PIECES = st.sampled_from([*SEPARATORS, *WORDS])
URL_TEXT = st.lists(PIECES, max_size=14).map("".join)
PLAIN_URLS = st.builds(
    "{}://{}{}{}".format,
    st.sampled_from(["http", "https"]),
    st.from_regex(r"\A[A-Za-z0-9.-]{1,20}\Z"),
    st.sampled_from(["", ":0", ":8080", ":443", ":65535"]),
    st.from_regex(r"\A(/[A-Za-z0-9._~-]{0,8}){0,3}\Z"),
)


@given(st.one_of(URL_TEXT, PLAIN_URLS))
@example("http://127.0.0.1:8080/jira/")
@example("https://host:/x")
@example("https://HOST.example.com")
@example("http://x:65536")
@example("https://x/a?b=1")
@example("https://x/a#top")
@example("https://user@x/")
@example("https://x/%41")
def test_plain_parts_reads_as_urlsplit_reads(url: str) -> None:
    plain = urls.plain_parts(url)
    if plain is None:
        return
    parts = urlsplit(url)
    assert (parts.scheme, parts.hostname, parts.port) == plain
    assert (parts.username, parts.password, parts.query, parts.fragment) == (None, None, "", "")


@given(PLAIN_URLS)
def test_every_plain_url_takes_the_plain_path(url: str) -> None:
    """The generator above does reach the plain path, so the comparison compares."""
    assert urls.plain_parts(url) is not None


@given(st.one_of(URL_TEXT, PLAIN_URLS), st.booleans())
@example("http://xray.example.com", False)
@example("http://127.0.0.1:1/", False)
@example("http://127.000.0.1/", False)
@example("http://x:65536", True)
@example("https://x/a?b=1", True)
@example("https://x/jira#top", True)
@example("https://user:pw@x/", True)
@example("https://x/j ira", True)
def test_checked_url_says_the_same_with_or_without_the_plain_path(
    url: str, allow_http: bool
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(urls, "plain_parts", lambda url: None)
        expected = outcome(url, allow_http)
    assert outcome(url, allow_http) == expected


def outcome(url: str, allow_http: bool) -> str:
    try:
        return urls.checked_url(url, "--xray-url", allow_http=allow_http)
    except ConfigError as error:
        return f"error: {error}"


@given(
    st.one_of(st.from_regex(r"\A[0-9.]{0,16}\Z"), st.from_regex(r"\A[a-zA-Z0-9.:\[\]-]{0,12}\Z"))
)
@example("127.0.0.1")
@example("127.0.0.01")
@example("[::1]")
@example("LOCALHOST")
def test_is_loopback_answers_as_ipaddress(host: str) -> None:
    try:
        expected = ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        expected = host.lower() in urls.LOOPBACK_NAMES
    assert urls.is_loopback(host) == expected


def test_checking_plain_urls_imports_no_url_parser() -> None:
    """What a run with its URL settings in order pays at start: not urllib.parse, which
    imports ipaddress (the stand-in's loopback URLs included)."""
    code = (  # what these lines add: before 3.13, pathlib imports urllib.parse at start
        "import sys\n"
        "before = set(sys.modules)\n"
        "from pytest_tm_auth.core import urls\n"
        "urls.checked_url('http://127.0.0.1:8080/jira', 'JIRA_URL', allow_http=False)\n"
        "urls.checked_url('https://demo.atlassian.net/', 'JIRA_URL', allow_http=False)\n"
        "print(sorted({'urllib.parse', 'ipaddress'} & (set(sys.modules) - before)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]"
