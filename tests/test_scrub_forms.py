"""Every form the scrubber promises, printed by a failing test, never reaches any output.

Each form is printed to captured output by a test of its own, which then fails, so the
form would show in the terminal and the JUnit XML; the run must show ``***`` instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_tm_auth.sandbox import Sandbox

SECRET = "demo/s\u00ebcret+value&not-real"
#: 8 to 23 characters: too short for pieces; pytest's ``saferepr`` cuts it in two.
CUT = "demoQz7cutVk9fake"

#: Builds ``FORMS`` from ``SECRET``: run both here and in the suite, so both see the same.
FORMS_CODE = """
import base64, html, json, unicodedata
from urllib.parse import quote

def b64(text, encode=base64.b64encode):
    return encode(text.encode()).decode()

FORMS = {
    "auth-query": "GET /api?auth=" + b64("demo-user:" + SECRET),
    "creds": "creds=" + b64(SECRET),
    "basic-escaped": "Authorization=Basic%20" + b64("demo-user:" + SECRET),
    "quote-default": quote(SECRET),
    "lowercase-escapes": quote(SECRET, safe="").lower(),
    "urlsafe-base64": b64("demo-user:" + SECRET, base64.urlsafe_b64encode).rstrip("="),
    "json-twice": json.dumps(json.dumps({"secret": SECRET})),
    "html": html.escape(SECRET),
    "utf8-bytes": repr(SECRET.encode()),
    "nfd": unicodedata.normalize("NFD", SECRET),
}
"""

SUITE = (
    "import os\nimport pytest\nSECRET = os.environ['ZEPHYR_TOKEN']\n"
    + FORMS_CODE
    + """

@pytest.mark.parametrize("name", sorted(FORMS))
def test_prints(name):
    print("printed:", FORMS[name])
    assert False


def test_token_split_over_two_lines(xray_token):
    value = str(xray_token)
    with open(os.environ["KEEP_TOKEN_IN"], "w") as kept:  # outside the searched folder
        kept.write(value)
    print(value[:40])
    print(value[40:])
    assert False


def test_cut_at_its_end():
    value = "x" * 111 + os.environ["JIRA_TOKEN"] + "y" * 300  # -l shows 117 characters
    assert value == "nothing"


def test_cut_at_its_start():
    value = "y" * 300 + os.environ["JIRA_TOKEN"] + "x" * 110  # ... then 118
    assert value == "nothing"
"""
)


def test_every_promised_form_is_hidden_in_captured_output_and_failures(
    pytester: pytest.Pytester,
    cloud_env: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    kept = tmp_path / "token"
    monkeypatch.setenv("ZEPHYR_TOKEN", SECRET)
    monkeypatch.setenv("JIRA_TOKEN", CUT)
    monkeypatch.setenv("KEEP_TOKEN_IN", str(kept))
    pytester.makepyfile(test_forms=SUITE)
    forms: dict[str, object] = {"SECRET": SECRET}
    exec(FORMS_CODE, forms)  # the same forms the suite prints
    printed: dict[str, str] = forms["FORMS"]  # type: ignore[assignment]

    result = pytester.runpytest("-p", "no:cacheprovider", "-rA", "-l", "--junitxml=report.xml")

    result.assert_outcomes(failed=len(printed) + 3)
    output = result.stdout.str() + result.stderr.str()
    output += (pytester.path / "report.xml").read_text("utf-8")
    assert [name for name, form in printed.items() if form in output] == []
    shown = [line for line in result.stdout.lines if line.startswith("printed: ")]
    assert len(shown) == len(printed)
    assert all("***" in line for line in shown), shown
    token = kept.read_text()
    parts = {
        "token's first line": token[:40],
        "token's second line": token[40:],
        "start of the cut secret": CUT[4:7],
        "end of the cut secret": CUT[-7:-4],
    }
    assert [name for name, part in parts.items() if part in output] == []
    result.stdout.fnmatch_lines(["value *= 'xxx*x***...yyy*", "value *= 'yyy*...***xxx*"])


def test_a_secret_that_cannot_be_hidden_safely_is_warned_about_with_what_happens(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_TOKEN", "password")
    monkeypatch.setenv("ZEPHYR_TOKEN", "abc")
    pytester.makepyfile(
        test_words="""
        def test_words_password():
            print("the password is", "password")
            assert False
        """
    )

    result = pytester.runpytest("-p", "no:cacheprovider", "-rA")

    result.assert_outcomes(failed=1, warnings=2)
    assert "def test_words_password():" in result.stdout.str()
    assert "the *** is ***" in result.stdout.str()
    result.stdout.fnmatch_lines_random(
        [
            "*CommonWordSecretWarning: --jira-token from env (JIRA_TOKEN) is a common word: "
            "it is hidden only where it stands alone, so ordinary text using that word shows "
            "*** in its place, and inside other words it is shown; use a secret that is not a "
            "word",
            "*ShortSecretWarning: --zephyr-token from env (ZEPHYR_TOKEN) is shorter than 4 "
            "characters: it is not hidden in output at all*",
        ]
    )
