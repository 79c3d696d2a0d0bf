"""Evidence a test attaches as bytes holds no secret wherever it goes (the journal, Xray's
import, Zephyr Scale's uploads), whatever its name says: bytes that read as text are
scrubbed (a ``.log``, a ``.har``), binary bytes holding a secret are dropped and said."""

from __future__ import annotations

import base64
import json
from typing import Literal

import pytest

from pytest_tm_auth.core.scrub import encoded_forms
from pytest_tm_auth.sandbox import Sandbox

ATTACHING = """
import os
import pytest

@pytest.mark.xray("DEMO-1")
@pytest.mark.zephyr("DEMO-T5")
def test_api(tm_result, tmp_path):
    secret = os.environ["LEAKED"]
    log = tmp_path / "client.log"
    log.write_text("DEBUG Authorization: Bearer " + secret + "\\n")
    tm_result.attach("client.log", log.read_bytes())
    tm_result.attach("trace.har", ('{"value": "' + secret + '"}').encode())
    tm_result.attach("capture.pcap", b"\\x00\\xff" + secret.encode("utf-16-le"))
"""
#: The secret each deployment's run logs in with, put in the test's evidence.
SECRETS: dict[Literal["cloud", "datacenter"], str] = {
    "cloud": "XRAY_CLIENT_SECRET",
    "datacenter": "JIRA_TOKEN",
}
#: Where a login sends its secret in the request's body (Xray Cloud's client credentials).
LOGINS = {"xray.authenticate"}


@pytest.mark.parametrize("deployment", SECRETS)
def test_evidence_bytes_of_any_name_hold_no_secret_anywhere(
    pytester: pytest.Pytester,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
    deployment: Literal["cloud", "datacenter"],
) -> None:
    sandbox: Sandbox = request.getfixturevalue(f"{deployment}_env")
    secret = sandbox.env(deployment)[SECRETS[deployment]]
    monkeypatch.setenv("LEAKED", secret)
    sandbox.keep_bodies()
    pytester.makepyfile(test_api=ATTACHING)
    journal = pytester.path / "journal.jsonl"

    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", f"--tm-auth-journal={journal}",
        "--xray-publish", "--xray-project=DEMO", "--zephyr-publish", "--zephyr-project=DEMO",
    )  # fmt: skip

    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(
        ["xray: *test_api: evidence 'capture.pcap' dropped: it holds a secret of the run*"]
    )
    needles = [form.encode() for form in {secret} | encoded_forms(secret)]
    assert {
        sent.route for sent in sandbox.requests if any(n in (sent.body or b"") for n in needles)
    } <= LOGINS
    lines = [json.loads(text) for text in journal.read_text().splitlines()]
    (line,) = [found for found in lines if found["kind"] == "result"]
    files = {item["filename"]: base64.b64decode(item["data"]) for item in line["evidence"]}
    assert files == {
        "client.log": b"DEBUG Authorization: Bearer ***\n",
        "trace.har": b'{"value": "***"}',
    }
    if deployment == "datacenter":
        assert sandbox.count("zephyrdc.attachments") == 2
