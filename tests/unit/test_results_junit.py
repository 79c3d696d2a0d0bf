"""Reading a JUnit XML report of any runner: the cases, the keys, and every refusal in one line."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote
from xml.sax.saxutils import escape

import pytest

from pytest_tm_auth.results import junit
from pytest_tm_auth.results.junit import Case, ReportError, cases, tally

REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites>
  <testsuite name="login" tests="4">
    <properties><property name="test_key" value="DEMO-99"/></properties>
    <testcase classname="tests.Login" name="test_ok" time="0.25">
      <properties><property name="test_key" value="DEMO-6"/></properties>
    </testcase>
    <testcase classname="tests.Login" name="test_login_DEMO_T19" time="x">
      <failure message="expected 200">Traceback...</failure>
      <error message="second outcome ignored"/>
    </testcase>
    <testsuite name="nested">
      <properties><property name="test_key" value="DEMO-98"/></properties>
      <testcase name="test_skipped"><skipped>not on Tuesdays
second line</skipped></testcase>
      <testcase name="test_error"><error/><system-out>lots</system-out></testcase>
    </testsuite>
  </testsuite>
</testsuites>
"""


def write(tmp_path: Path, text: str | bytes, name: str = "report.xml") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_each_testcase_is_read_with_its_outcome_message_and_keys(tmp_path: Path) -> None:
    assert list(cases(write(tmp_path, REPORT))) == [
        Case("tests.Login", "test_ok", 0.25, "passed", "", "DEMO-6"),
        Case("tests.Login", "test_login_DEMO_T19", None, "failed", "expected 200", None),
        Case("", "test_skipped", None, "skipped", "not on Tuesdays", None),
        Case("", "test_error", None, "error", "", None),
    ]
    assert tally(write(tmp_path, REPORT)) == junit.Tally(4, 1, 1)


def test_pytest_s_xfail_is_xfailed_and_cases_sharing_a_key_are_counted(tmp_path: Path) -> None:
    report = write(
        tmp_path,
        "<testsuite>"
        '<testcase name="test_a_DEMO_T1"><skipped type="pytest.xfail" message="bug"/></testcase>'
        '<testcase name="test_b_DEMO_T1"><skipped type="pytest.skip" message="no"/></testcase>'
        '<testcase name="test_c[DEMO_T1-2]"/><testcase name="test_d_DEMO_T2"/>'
        "</testsuite>",
    )

    assert [case.outcome for case in cases(report)] == ["xfailed", "skipped", "passed", "passed"]
    assert tally(report) == junit.Tally(4, 0, 4, zephyr_shared=3)


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("test_login_DEMO_T19", "DEMO-T19"),
        ("DEMO-T7 logs in", "DEMO-T7"),
        ("test_PROJ2_T123_edge", "PROJ2-T123"),
        ("test_login_MY_APP_T19", "MY_APP-T19"),  # a project key may hold "_": all of it
        ("MY_APP-T3 logs in", "MY_APP-T3"),
        ("test_DEMO_T1_OTHER_T2", "DEMO-T1"),  # the first key
        ("test_MY-APP-T19", "APP-T19"),  # "-" is a separator, never in a project key
        ("test_xDEMO_T19", None),  # a key glued to a word is not one
        ("test_DEMO_T", None),
        ("test_demo_t19", None),
    ],
)
def test_a_zephyr_key_is_read_from_the_name(name: str, key: str | None) -> None:
    assert Case("", name, None).zephyr_key == key


def test_a_namespaced_report_is_read(tmp_path: Path) -> None:
    text = (
        '<testsuite xmlns="urn:x"><testcase name="a"><failure message="m"/></testcase></testsuite>'
    )
    assert [c.outcome for c in cases(write(tmp_path, text))] == ["failed"]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<testsuite><testcase name="&lol3;"/></testsuite>
"""


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (BILLION_LAUGHS, "declares a DTD or entities"),
        ('<!DOCTYPE testsuite SYSTEM "http://x/y.dtd"><testsuite/>', "declares a DTD"),
        ("<testsuite><testcase name='a'></testsuite>", "is not well-formed XML: mismatched tag"),
        ("", "is not well-formed XML: no element found"),
        ("<html><body/></html>", "its root element is not <testsuites> or <testsuite>"),
        ("<testsuite/>", "holds no <testcase>: nothing to publish"),
        ("<testsuite>" + "<a>" * 70 + "</a>" * 70 + "</testsuite>", "deeper than 64"),
    ],
)
def test_a_report_that_cannot_be_read_is_one_line_naming_it(
    tmp_path: Path, text: str, said: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ReportError) as refused:
        tally(path)
    message = str(refused.value)
    assert str(path) in message
    assert said in message
    assert "\n" not in message


def test_a_report_over_the_size_cap_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "not even XML")
    with path.open("r+b") as file:
        file.truncate(junit.MAX_BYTES + 1)  # sparse: nothing is written
    opened: list[object] = []
    monkeypatch.setattr("builtins.open", lambda *a, **k: opened.append(a))
    with pytest.raises(ReportError, match=r"is 100\.0 MiB, over the 100 MiB .* without reading"):
        tally(path)
    assert opened == []


def test_a_missing_report_and_a_folder_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"cannot read the report .*missing\.xml: No such file"):
        tally(tmp_path / "missing.xml")
    with pytest.raises(ReportError, match="is not a file"):
        tally(tmp_path)


def test_too_many_testcases_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(junit, "MAX_CASES", 3)
    path = write(tmp_path, "<testsuite>" + "<testcase name='a'/>" * 4 + "</testsuite>")
    with pytest.raises(ReportError, match="more than 3 testcases"):
        tally(path)


def test_messages_are_inert_and_bounded(tmp_path: Path) -> None:
    text = (
        "<testsuite><testcase name='a'>"
        f"<failure message='\u009b31m\u202e{'x' * 5000}'/>"
        "</testcase></testsuite>"
    )
    (case,) = cases(write(tmp_path, text))
    assert "\u009b" not in case.message
    assert "\u202e" not in case.message
    assert len(case.message) == junit.MESSAGE_LIMIT


def test_the_tree_keeps_only_the_open_elements(tmp_path: Path) -> None:
    """A long report costs the memory of one case: each element leaves the tree once read."""
    body = "".join(
        f"<testcase name='t{n}'><properties><property name='test_key' value='DEMO-{n}'/>"
        f"</properties><system-out>{'o' * 100}</system-out></testcase>"
        for n in range(1, 2001)
    )
    path = write(tmp_path, f"<testsuites><testsuite>{body}</testsuite></testsuites>")
    seen = []
    for case in cases(path):
        seen.append(case.test_key)
    assert seen == [f"DEMO-{n}" for n in range(1, 2001)]
    import tracemalloc

    tracemalloc.start()
    for _ in cases(path):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2_000_000, peak


@pytest.mark.parametrize(
    "where",
    [
        "<testcase name={secret}/>",
        "<testcase name='a'><failure message={secret}/></testcase>",
        "<testcase name='a'><system-out>x {text} y</system-out></testcase>",
        "<testcase name='a'><system-out><![CDATA[x {raw} y]]></system-out></testcase>",
    ],
)
def test_a_report_holding_a_secret_is_refused_however_xml_writes_it(
    tmp_path: Path, where: str
) -> None:
    from xml.sax.saxutils import escape, quoteattr

    secret = "a&b<c>'\"-secret"
    body = where.format(secret=quoteattr(secret), text=escape(secret), raw=secret)
    path = write(tmp_path, f"<testsuite>{body}</testsuite>")
    with pytest.raises(ReportError, match=r"holds the value of SECRET, .*: nothing sent"):
        tally(path, {"OTHER": "not-there", "SECRET": secret, "SHORT": "&"})
    assert tally(path, {"SHORT": secret[:5]}).cases == 1  # too short to look for


def test_a_secret_in_the_bytes_is_found_across_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = "<testsuite><testcase name='a'/><!-- "
    padding = "x" * ((1 << 20) - len(start) - 5)  # the secret straddles the first block's end
    path = write(tmp_path, f"{start}{padding}plain-secret-value --></testsuite>")
    monkeypatch.setattr(junit._Watch, "saw", lambda *_: None)  # the bytes alone
    secrets = {"OTHER": "not-there", "SECRET": "plain-secret-value"}
    with pytest.raises(ReportError, match="holds the value of SECRET"):
        tally(path, secrets)
    assert tally(path, {"SECRET": "plain-secret-valuE"}).cases == 1
    assert tally(path, {"SHORT": "xxxxx"}).cases == 1  # too short to look for


SECRET = "demo-report-secret-not-real"
#: Every place of a report where the parser reads text, with the secret in it.
PARSED_FORMS = {
    "text": "<testcase name='a'><system-out>{secret}</system-out></testcase>",
    "tail": "<testcase name='a'/>{secret}",
    "tail, as character references": "<testcase name='a'/>x{refs}",
    "tail of the last child": "<testcase name='a'><skipped/>{refs}</testcase>",
    "attribute value": "<testcase name='a' classname='{refs}'/>",
    "attribute name": "<testcase name='a' {name}='1'/>",
    "element name": "<testcase name='a'><{name}/></testcase>",
    "comment": "<testcase name='a'><!-- {secret} --></testcase>",
    "processing instruction": "<testcase name='a'><?note {secret}?></testcase>",
    "after the root": "<testcase name='a'/></testsuite><!-- {secret} -->",
}


def secret_in(form: str, secret: str = SECRET) -> str:
    refs = "".join(f"&#{ord(c)};" for c in secret)
    name = "x" + secret.replace("-", "_")
    body = PARSED_FORMS[form].format(secret=secret, refs=refs, name=name)
    return f"<testsuite>{body}" + ("" if "</testsuite>" in body else "</testsuite>")


@pytest.mark.parametrize("form", PARSED_FORMS)
def test_the_parser_finds_a_secret_in_everything_it_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    """Without the bytes' net: each place the parser reads is looked through on its own."""
    path = write(tmp_path, secret_in(form))
    monkeypatch.setattr(junit, "_in_bytes", lambda *_: None)
    secret = SECRET.replace("-", "_") if form.endswith("name") else SECRET
    with pytest.raises(ReportError, match=r"holds the value of TOKEN, .*: nothing sent"):
        tally(path, {"TOKEN": secret})
    assert tally(path, {"TOKEN": "demo-elsewhere-not-real"}).cases == 1


def _escaped(secret: str, escape: str) -> str:
    return "".join(escape.format(ord(c)) for c in secret)


#: A secret with a ``/`` (written ``\\/`` by some JSON writers) and a quote (JSON-escaped).
SLASHED = 'demo/report"secret-not-real'
#: A secret whose base64 holds ``+`` and ``/`` (``-`` and ``_`` when URL-safe).
ODD = "demo~report?secret>not-real"
#: A secret as a report may hold it in some other text's way of writing it.
ESCAPED_FORMS = {
    "basic auth": (SECRET, "Basic " + base64.b64encode(f"admin:{SECRET}".encode()).decode()),
    "basic auth, shifted": (SECRET, base64.b64encode(f"abc:{SECRET}".encode()).decode()),
    "basic auth, shifted twice": (SECRET, base64.b64encode(f"a:{SECRET}!".encode()).decode()),
    "url-safe base64": (ODD, base64.urlsafe_b64encode(f"ab{ODD}".encode()).decode()),
    "json \\u escapes": (SECRET, _escaped(SECRET, "\\u{:04x}")),
    "python \\x escapes": (SECRET, _escaped(SECRET, "\\x{:02x}")),
    "percent-encoded": (SECRET, _escaped(SECRET, "%{:02X}")),
    "json-escaped": (SLASHED, json.dumps(SLASHED)[1:-1]),
    "slash escaped": (SLASHED, json.dumps(SLASHED)[1:-1].replace("/", "\\/")),
    "url-encoded": (SLASHED, quote(SLASHED, safe="")),
}


@pytest.mark.parametrize("form", ESCAPED_FORMS)
@pytest.mark.parametrize("where", ["<system-out>{}</system-out>", "<failure message='{}'/>"])
def test_the_parser_finds_a_secret_in_every_form_the_scrubber_knows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str, where: str
) -> None:
    """Without the bytes' net: the parsed texts are looked through for every form."""
    secret, text = ESCAPED_FORMS[form]
    body = where.format(escape(text, {"'": "&apos;"}))
    path = write(tmp_path, f"<testsuite><testcase name='a'>{body}</testcase></testsuite>")
    monkeypatch.setattr(junit, "_in_bytes", lambda *_: None)
    with pytest.raises(ReportError, match=r"holds the value of TOKEN, .*: nothing sent"):
        tally(path, {"OTHER": "not-there", "TOKEN": secret})
    assert tally(path, {"TOKEN": "demo-elsewhere-not-real"}).cases == 1


@pytest.mark.parametrize("form", ["basic auth", "url-safe base64", "json-escaped", "url-encoded"])
def test_the_bytes_are_looked_through_for_every_form_the_scrubber_knows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    """Without the parser's net: the bytes as written hold the form."""
    secret, text = ESCAPED_FORMS[form]
    path = write(tmp_path, f"<testsuite><testcase name='a'/><!-- {text} --></testsuite>")
    monkeypatch.setattr(junit._Watch, "saw", lambda *_: None)
    with pytest.raises(ReportError, match="holds the value of TOKEN"):
        tally(path, {"TOKEN": secret})
    assert tally(path, {"TOKEN": "demo-elsewhere-not-real"}).cases == 1


def test_an_escaped_secret_across_the_pieces_of_a_long_text_is_found_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long text is unescaped a piece at a time: a secret where two pieces meet is still
    whole in one of them, and the unescaped text is never a copy of the whole."""
    escaped = _escaped(SECRET, "\\u{:04x}")
    line = "C:\\logs\\run 100% " + "x" * 79 + "\n"  # escapes everywhere, none of a secret
    lines = (2 * junit._BLOCK) // len(line)
    text = line * lines + escaped + line * (6 * junit._BLOCK // len(line))  # 8 MiB
    assert len(line) * lines < 2 * junit._BLOCK < len(line) * lines + len(escaped)
    path = write(tmp_path, f"<testsuite><testcase name='a'/><!-- {text} --></testsuite>")
    monkeypatch.setattr(junit, "_in_bytes", lambda *_: None)
    with pytest.raises(ReportError, match="holds the value of TOKEN"):
        tally(path, {"TOKEN": SECRET})
    import tracemalloc

    peaks = []
    for secrets in ({}, {"TOKEN": "demo-elsewhere-not-real"}):
        tracemalloc.start()
        tally(path, secrets)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] - peaks[0] < 3 * junit._BLOCK, peaks  # a piece or two, not the text


def test_a_secret_written_as_character_references_between_elements_is_refused(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, secret_in("tail, as character references"))
    assert SECRET.encode() not in path.read_bytes()
    with pytest.raises(ReportError, match="holds the value of TOKEN"):
        tally(path, {"TOKEN": SECRET})


@pytest.mark.parametrize(
    ("data", "said"),
    [
        pytest.param(
            (
                '<?xml version="1.0" encoding="UTF-16"?>'
                f'<testsuite><!-- {SECRET} --><testcase name="a"/></testsuite>'
            ).encode("utf-16"),
            "is not UTF-8 text",
            id="UTF-16, a secret in a comment",
        ),
        pytest.param(
            f"<testsuite><testcase name='a'/><!-- {SECRET} --></testsuite>".encode("utf-16-le"),
            "is not UTF-8 text",
            id="UTF-16 without a BOM",
        ),
        pytest.param(
            "<testsuite><testcase name='caf\xe9'/></testsuite>".encode("latin-1"),
            "is not UTF-8 text",
            id="Latin-1",
        ),
        pytest.param(
            b"<?xml version='1.0' encoding='ISO-8859-1'?><testsuite><testcase name='a'/>"
            b"</testsuite>",
            "declares an encoding other than UTF-8",
            id="declared Latin-1",
        ),
        pytest.param(
            b'<?xml version="1.0" encoding="UTF-7"?><testsuite><testcase name="a"/></testsuite>',
            "declares an encoding other than UTF-8",
            id="declared UTF-7",
        ),
        pytest.param(
            b'<?xml version="1.0" encoding="demo-no-such-codec"?><testsuite/>',
            "declares an encoding other than UTF-8",
            id="declared unknown",
        ),
    ],
)
def test_a_report_that_is_not_utf8_is_one_line(tmp_path: Path, data: bytes, said: str) -> None:
    path = write(tmp_path, data)
    with pytest.raises(ReportError) as refused:
        tally(path, {"TOKEN": SECRET})
    message = str(refused.value)
    assert said in message
    assert "save it as UTF-8" in message
    assert "\n" not in message
    assert "codec" not in message


@pytest.mark.parametrize(
    "start",
    [
        b'<?xml version="1.0" encoding="UTF-8"?>',
        b"\xef\xbb\xbf<?xml version='1.0' encoding='utf8'?>",
        b'<?xml version="1.0" encoding="US-ASCII" standalone="yes"?>',
        b'<?xml version="1.0"?>',
        b"",
    ],
)
def test_utf8_and_ascii_reports_are_read(tmp_path: Path, start: bytes) -> None:
    path = write(tmp_path, start + "<testsuite><testcase name='é'/></testsuite>".encode())
    assert [case.name for case in cases(path, {"TOKEN": SECRET})] == ["é"]


def test_the_root_element_s_name_is_never_shown(tmp_path: Path) -> None:
    path = write(tmp_path, f"<x{SECRET}><testcase name='a'/></x{SECRET}>")
    with pytest.raises(ReportError) as refused:
        tally(path)
    assert "root element is not <testsuites>" in str(refused.value)
    assert "demo" not in str(refused.value)
    with pytest.raises(ReportError, match="holds the value of TOKEN"):
        tally(path, {"TOKEN": SECRET})


@pytest.mark.parametrize("at", [0, junit._BLOCK - 5, 3 * junit._BLOCK + 1])
def test_a_secret_in_a_long_text_is_found_wherever_its_stream_is_cut(
    tmp_path: Path, at: int
) -> None:
    """An output's text is looked through as it streams, in blocks: a secret across two of
    them is found (escaped, so that only the parsed text shows it, not the bytes)."""
    secret = "s3cret-value-of-the-test"
    text = "x" * at + "&#x73;" + secret[1:] + "\n" * 10
    report = f"<testsuite><testcase name='a'><system-out>{text}</system-out></testcase></testsuite>"

    with pytest.raises(ReportError, match="holds the value of SECRET"):
        tally(write(tmp_path, report), {"SECRET": secret})


def test_of_a_long_text_only_its_start_is_kept(tmp_path: Path) -> None:
    long = "first line\n" + "y" * (2 * junit.TEXT_KEPT)
    report = f"<testsuite><testcase name='a'><failure>{long}</failure></testcase></testsuite>"
    tree = junit._Tree(junit._Watch(tmp_path, {}))
    tree.start("failure", {})
    for start in range(0, len(long), 1000):
        tree.data(long[start : start + 1000])
    assert len(tree.end("failure").text or "") == junit.TEXT_KEPT
    (case,) = cases(write(tmp_path, report))
    assert case.message == "first line"
