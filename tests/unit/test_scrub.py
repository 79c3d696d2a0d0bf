"""The scrubber: long secrets wherever and in whatever form they appear, short ones and
common words only where they stand alone."""

from __future__ import annotations

import base64
import html
import json
import random
import tracemalloc
import unicodedata
from urllib.parse import quote, quote_plus

import pytest
from _pytest._io.saferepr import saferepr
from hypothesis import example, given
from hypothesis import strategies as st

from pytest_tm_auth.core import scrub as scrub_module
from pytest_tm_auth.core.scrub import UNCHANGED, Scrubber, every_form, forms, how_hidden


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


def test_too_short_to_scrub_at_all_means_nothing_is_known() -> None:
    assert not scrubber("abc")


TOKEN = "demo/t\u00ebken+value&not-real"
USER_TOKEN = f"demo-user:{TOKEN}".encode()


@pytest.mark.parametrize(
    "shown",
    [
        pytest.param("GET /x?auth=" + base64.b64encode(USER_TOKEN).decode(), id="after-equals"),
        pytest.param("creds=" + base64.b64encode(TOKEN.encode()).decode(), id="creds"),
        pytest.param("Basic%20" + base64.b64encode(USER_TOKEN).decode(), id="after-escape"),
        pytest.param(
            base64.b64encode(b"\xff\xfe" + TOKEN.encode() + b"\xff").decode(),
            id="inside-other-base64",
        ),
        pytest.param(  # "~~~" is "fn5-" in URL-safe base64, "fn5+" in the standard one
            base64.urlsafe_b64encode(b"~~~" + USER_TOKEN).decode().rstrip("="), id="urlsafe"
        ),
        pytest.param(quote(TOKEN), id="quote-keeps-slash"),
        pytest.param(quote(TOKEN, safe="").lower(), id="lowercase-escapes"),
        pytest.param(json.dumps(json.dumps({"t": TOKEN})), id="json-twice"),
        pytest.param(html.escape(f"<b>{TOKEN}</b>"), id="html"),
        pytest.param(repr(TOKEN.encode()), id="utf8-bytes"),
        pytest.param(unicodedata.normalize("NFD", TOKEN), id="nfd"),
    ],
)
def test_every_promised_form_of_a_secret_is_hidden(shown: str) -> None:
    hidden = scrubber(TOKEN).scrub(shown)

    assert "***" in hidden
    assert "ken+value" not in hidden
    assert "not-real" not in hidden
    assert base64.b64encode(b"real").decode()[:4] not in hidden


@pytest.mark.parametrize("word", ["password", "passwords", "administrator"])
@pytest.mark.parametrize("alphabet", ["standard", "urlsafe"])
def test_the_shortest_base64_run_that_holds_a_secret_is_decoded(word: str, alphabet: str) -> None:
    """Only runs long enough to hold the shortest secret are decoded: the one that holds
    exactly the secret, unpadded, is as short as that gets. A common word has no encoded
    forms to catch it otherwise."""
    encode = base64.b64encode if alphabet == "standard" else base64.urlsafe_b64encode
    run = encode(word.encode()).decode().rstrip("=")

    assert scrubber(word, "demo-a-longer-secret-not-real").scrub(f"x {run} y") == "x *** y"


def test_a_short_secret_in_urlsafe_base64_is_hidden() -> None:
    """Too short for its base64 forms to be known: the run is decoded in its own alphabet
    (``~~~`` is ``fn5-`` in URL-safe base64)."""
    shown = base64.urlsafe_b64encode(b"~~~demo-user:test").decode().rstrip("=")

    assert "-" in shown
    assert scrubber("test").scrub(f"?auth={shown}") == "?auth=***"


@pytest.mark.parametrize("lead", [b"\xff", b"\xff\xfe", b"\xff\xfe\xfd"])
def test_a_secret_inside_other_urlsafe_base64_is_hidden(lead: bytes) -> None:
    """Bytes that are not text around it: the run cannot be decoded, its known URL-safe
    forms find it (``~~~`` and ``?>?`` encode to ``-`` and ``_`` at every alignment)."""
    secret = "demo~~~secret?>?not-real"
    shown = base64.urlsafe_b64encode(lead + secret.encode() + b"\xff").decode()

    hidden = scrubber(secret).scrub(shown)

    assert "***" in hidden
    assert len(hidden.replace("***", "")) <= 8, hidden  # what the bytes around it encode to


@pytest.mark.parametrize("before", ["?auth=", "Authorization=Basic%20", "basic%2d"])
def test_a_short_secret_in_base64_after_an_equals_sign_or_an_escape_is_hidden(
    before: str,
) -> None:
    """Too short for its base64 forms to be known: only decoding the run finds it."""
    shown = before + base64.b64encode(b"demo-user:test").decode()

    assert scrubber("test").scrub(shown) == before + "***"


@pytest.mark.parametrize("length", [8, 12, 17, 23])
def test_a_secret_saferepr_cuts_shows_neither_end(length: int) -> None:
    """pytest's own ``saferepr`` (private, but the cut is what reports show) keeps 240
    characters of a repr: the secret's start before its ``...``, or its end after it."""
    secret = ("demo-" + "Qz7Vk9" * 4)[:length]
    cut = scrubber(secret)
    for before in range(100, 120):
        shown = saferepr("x" * before + secret + "y" * 300)
        assert "..." in shown
        hidden = cut.scrub(shown, pieces=True)
        start = shown.index("...")
        assert hidden.count("***") == (start - 1 - before >= 3)
    for after in range(100, 120):
        hidden = cut.scrub(saferepr("y" * 300 + secret + "x" * after), pieces=True)
        assert not any(secret[-n:] + "x" * after + "'" in hidden for n in range(3, length + 1))


def test_a_token_printed_over_two_lines_is_hidden_and_the_lines_kept() -> None:
    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.not-real-signature"
    text = f"token:\n{token[:30]}\n{token[30:]}\ndone"

    assert scrubber(token).scrub(text) == "token:\n***\n***\ndone"


def test_a_common_word_is_hidden_only_where_it_stands_alone() -> None:
    hide = scrubber("password").scrub

    assert hide("def test_words_password(): pass") == "def test_words_password(): pass"
    assert hide("the password is 'password'") == "the *** is '***'"


@pytest.mark.parametrize(
    ("secret", "said"),
    [
        ("abc", "is shorter than 4 characters: it is not hidden in output at all"),
        ("test", "is shorter than 8 characters"),
        ("Password", "is a common word"),
        ("sunshine", "is a common word"),
        ("demo-long-secret-not-real", None),
    ],
)
def test_every_secret_that_cannot_be_hidden_safely_is_described(
    secret: str, said: str | None
) -> None:
    described = how_hidden(secret)

    assert described == said if said is None else (described or "").startswith(said)


@pytest.mark.parametrize("prefix", ["", 'é"<&/ '], ids=["base64", "escapable"])
def test_the_scrubber_holds_a_small_multiple_of_a_large_secret(prefix: str) -> None:
    """A pasted 1 MiB file as a secret: a few of its forms are kept, not every piece of it,
    also when escaping, encoding and normalising would each make another copy."""
    size = 1 << 20
    secret = prefix + base64.b64encode(random.Random(0).randbytes(size * 3 // 4)).decode()
    tracemalloc.start()
    try:
        shown = scrubber(secret).scrub(f"pasted: {secret}")  # its forms are worked out now
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert shown == "pasted: ***"
    assert peak < 16 * len(secret)


@given(st.text(alphabet=sorted(UNCHANGED), min_size=1, max_size=40))
@example("eyJhbGciOiJIUzI1NiJ9.demo-token.not_real~0")
def test_a_secret_of_unchanged_characters_has_one_form(secret: str) -> None:
    """What forms() skips for such a secret: every escaping and encoding leaves it as is."""
    shown = {
        json.dumps(secret)[1:-1],
        json.dumps(json.dumps(secret)[1:-1])[1:-1],
        repr(secret)[1:-1],
        html.escape(secret),
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
    }
    assert shown == {secret} == forms(secret)


def test_a_secret_with_other_characters_keeps_its_forms() -> None:
    assert {"a/b+c", "a%2Fb%2Bc", "a/b%2Bc"} <= forms("a/b+c")


def test_a_remembered_text_is_scrubbed_anew_once_a_secret_is_learned() -> None:
    found = scrubber("demo-first-secret-not-real")
    text = "id[demo-second-secret-not-real]"
    assert found.remembered(text) == text
    assert found.scrub(text) == text  # what scrub reads back is what remembered kept
    found.add("demo-second-secret-not-real")
    assert found.scrub(text) == "id[***]"
    assert found.remembered(text) == "id[***]"


def test_only_short_texts_are_remembered_and_only_so_many(monkeypatch: pytest.MonkeyPatch) -> None:
    import pytest_tm_auth.core.scrub as scrub_module

    monkeypatch.setattr(scrub_module, "REMEMBERED_TEXTS", 5)
    found = scrubber("demo-secret-not-real")
    found.remembered("x" * (scrub_module.REMEMBERED_LENGTH + 1))
    for number in range(10):
        assert found.remembered(f"t.py::test_{number}") == f"t.py::test_{number}"
    assert sorted(found._kept) == [f"t.py::test_{number}" for number in range(5)]


def test_the_pieces_of_every_secret_are_hidden_however_late_it_was_learned() -> None:
    """Pieces are cut when a text is first scrubbed for them, then again for each secret
    learned after: a token issued mid-run is hidden in pieces as the settings' secrets are."""
    first, later = "demo-first-secret-" + "Qz7Vk9" * 4, "demo-later-secret-" + "Hx2Lp8" * 4
    hide = scrubber(first)
    assert hide.scrub(f"cut: {first[5:20]}...", pieces=True) == "cut: ***..."
    hide.add(later)
    assert hide.scrub(f"cut: {later[6:21]}... {first[4:19]}", pieces=True) == "cut: ***... ***"
    assert hide.scrub(f"plain: {later[6:21]}") == f"plain: {later[6:21]}"  # pieces=False


def test_a_secret_in_url_safe_base64_that_does_not_decode_is_hidden() -> None:
    """Its URL-safe forms are looked for as they are: a ``+`` ahead of the run (a query
    string's space) keeps the whole run from decoding."""
    secret = "demo>>>???>>>???-not-real"  # standard base64 of it holds "+" and "/"
    run = base64.urlsafe_b64encode(b"user:" + secret.encode()).decode().rstrip("=")
    assert "-" in run
    assert "_" in run

    hidden = scrubber(secret).scrub(f"auth=+{run}")

    assert "***" in hidden
    assert hidden.startswith("auth=+")


@pytest.mark.parametrize("secret", ["test", "demo-token-8", "pässwörd-demo", 'demo"quote\\slash'])
def test_a_text_that_is_one_form_of_a_secret_and_nothing_else_is_hidden(secret: str) -> None:
    """Texts shorter than every form the scrubber knows (a test's key, a status name) go
    through unread: a text exactly as long as a form is read."""
    hide = scrubber(secret).scrub

    shown = {form: hide(form) for form in every_form(secret)}

    assert {form: "***" for form in shown} == shown


def test_a_long_test_name_is_not_decoded_as_base64_but_a_secret_in_base64_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A run of URL-safe base64 characters (a test's name) is decoded only when the text
    holds what a secret's base64 always holds: a secret's run still is, and hidden."""
    decoded: list[str] = []
    decode = scrub_module.hide_encoded

    def counted(run: str, secrets: frozenset[str], short: frozenset[str]) -> str:
        decoded.append(run)
        return decode(run, secrets, short)

    monkeypatch.setattr(scrub_module, "hide_encoded", counted)
    hide = scrubber("demo-token-not-real-0123").scrub
    name = "tests/test_orders.py::TestOrders::test_creates_an_order_for_a_customer_4711"

    assert hide(name) == name
    assert decoded == []
    encoded = base64.b64encode(b"user:demo-token-not-real-0123").decode()
    assert hide(f"Authorization: Basic {encoded}") == "Authorization: Basic ***"
    assert decoded == [encoded]


def test_a_secret_escaped_inside_base64_is_hidden() -> None:
    """A secret with characters escaping changes has forms whose base64 holds none of the
    secret's own: every run is decoded then."""
    secret = 'demo"secret\\not-real'
    text = base64.b64encode(json.dumps({"password": secret}).encode()).decode()

    assert scrubber(secret).scrub(f"body={text}") == "body=***"
