"""Random secrets, sent down every failure path, never come back out in any form.

Hypothesis draws secrets shaped like common passwords, URL-safe base64 keys and unicode
text, and uses one as every secret setting of a run in which all logins fail: the servers
echo the secret (raw, JSON-escaped, percent-encoded) in their errors, a test quotes it in
its assertion message, another skips with it as reason. The secret must appear in none of
stdout, stderr, the JUnit XML or the log file, in none of the forms pytest or a server
could print it in.

Secrets are at least 8 characters: values shorter than ``scrub.MIN_SCRUB_LENGTH`` (4) are
not scrubbed on purpose (hiding every "abc" would garble the output), and 8 keeps a drawn
secret from being a word pytest itself prints. They hold no whitespace (a secret with a
space or line break inside is refused at start, see ``test_usage_errors.py``) and no ``*``
(the redaction mark: a secret made of it would "appear" wherever a secret was hidden).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from pytest_tm_auth.core.scrub import MIN_SCRUB_LENGTH, forms
from pytest_tm_auth.sandbox import Fault, Sandbox

SUITE = """
import os

import pytest


def test_xray(xray_token):
    pass


def test_zephyr(zephyr_session):
    pass


def test_jira(jira_session):
    pass


def test_quotes_the_secret():
    assert False, "the secret is " + os.environ["XRAY_CLIENT_SECRET"]


def test_skips_with_the_secret():
    pytest.skip(os.environ["JIRA_TOKEN"])
"""

COMMON = ["sunflower", "dragon", "letmein", "princess", "monkey", "shadow", "qwerty", "master"]
PUNCTUATION = "-_.~!@#$%^&+=/:;,?'\"\\<>[]{}|()"
SECRET_SETTINGS = ("XRAY_CLIENT_SECRET", "ZEPHYR_TOKEN", "JIRA_TOKEN")

common_words = st.builds(
    lambda word, digits: word + digits,
    st.sampled_from(COMMON),
    st.text("0123456789!", min_size=2, max_size=4),
).filter(lambda secret: len(secret) >= 8)
urlsafe_base64 = st.text(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", min_size=8, max_size=64
)
unicode_text = st.text(
    st.characters(
        categories=["L", "M", "N", "P", "S"],
        exclude_characters="*",
    )
    | st.sampled_from(PUNCTUATION),
    min_size=8,
    max_size=40,
).filter(lambda secret: secret.strip() == secret and not any(c.isspace() for c in secret))
secrets = st.one_of(common_words, urlsafe_base64, unicode_text)


def echoes(secret: str) -> list[tuple[str, Fault]]:
    """Login failures whose bodies repeat the secret, as careless servers and proxies do."""
    return [
        ("xray.authenticate", Fault(400, body=f"Bad Request: client_secret={secret} rejected")),
        (
            "zephyr.projects",
            Fault(
                401,
                body=json.dumps({"message": f"token {secret} is not valid"}),
                content_type="application/json",
            ),
        ),
        ("jira.myself", Fault(403, body=f"denied for ?token={quote(secret, safe='')}")),
    ]


def outputs(result: pytest.RunResult, folder: Path) -> str:
    junit = folder / "report.xml"
    root = ET.parse(junit).getroot()
    parsed = [t for e in root.iter() for t in (e.text, e.tail, *e.attrib.values()) if t]
    return "\n".join(
        [
            result.stdout.str(),
            result.stderr.str(),
            junit.read_text(encoding="utf-8"),
            *parsed,
            (folder / "run.log").read_text(encoding="utf-8"),
        ]
    )


def run_with(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, secret: str
) -> str:
    sandbox.reset()
    for name, value in sandbox.env("cloud").items():
        monkeypatch.setenv(name, secret if name in SECRET_SETTINGS else value)
    for route, fault in echoes(secret):
        sandbox.add_faults(fault, route=route)
    result = pytester.runpytest(
        "-p",
        "no:cacheprovider",
        "-rA",
        "-vv",
        "-l",
        "--log-level=DEBUG",
        "--junitxml=report.xml",
        "--log-file=run.log",
        "--log-file-level=DEBUG",
    )
    result.assert_outcomes(errors=3, failed=1, skipped=1)
    return outputs(result, pytester.path)


#: The output of a run whose secret is known, to skip drawn secrets that are plain output.
BASELINE: dict[str, str] = {}


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(secret=secrets)
@example(secret='demo-\u00e9l\u00e8ve-\u2603-"quoted"\\slash')
def test_a_random_secret_appears_in_no_output(
    pytester: pytest.Pytester, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    pytester.makepyfile(SUITE)
    if not BASELINE:
        BASELINE["output"] = run_with(pytester, sandbox, monkeypatch, "demo-baseline-not-real")
    assert len(secret) >= 2 * MIN_SCRUB_LENGTH
    assume(not any(form in BASELINE["output"] for form in forms(secret)))

    text = run_with(pytester, sandbox, monkeypatch, secret)

    shown = [form for form in sorted(forms(secret)) if form in text]
    assert not shown, f"{len(shown)} form(s) of a {len(secret)}-character secret leaked"
    assert "***" in text
