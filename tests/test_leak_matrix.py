"""The leak matrix: a suite that touches every secret and token in every way a test can, run
under the reporters teams use and each output mode; every byte written is searched.

Reporters, all at once in every run: allure-pytest, pytest-json-report, pytest-csv,
pytest-html, pytest-reportlog and ``--junitxml`` (with ``junit_logging=all``). Streams and
every file under the run's directory are searched, the cache folder included, for each
secret as it is, JSON-escaped, URL-encoded, in base64 and in a Basic header, and for the
issued token's payload. The suite's subtests (pytest 9's ``subtests`` fixture, or
pytest-subtests on pytest 7 and 8) carry secrets in their ``msg`` and keyword arguments.
A response hook of the team's on the login session logs and prints the login answer.
The last test turns scrubbing off and shows the matrix then finds the leaks: it can fail.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path
from urllib.parse import quote

import pytest

from pytest_tm_auth.sandbox import DEMO, Sandbox

REPORTERS = (
    "--alluredir=out/allure",
    "--json-report",
    "--json-report-file=out/report.json",
    "--csv=out/report.csv",
    "--html=out/report.html",
    "--self-contained-html",
    "--report-log=out/log.jsonl",
    "--junitxml=out/junit.xml",
    "-o",
    "junit_logging=all",
    "--continue-on-collection-errors",
    "-p",
    "no:cacheprovider",
)
# The cache provider is on in one mode of its own (below), so that its folder is searched.
MODES = {
    "verbose": ("-vv", "-rA", "-l", "--setup-show", "--tb=long"),
    "live-log": ("--log-cli-level=DEBUG",),
    "log-file": ("--log-file=out/run.log", "--log-file-level=DEBUG"),
    "xdist": ("-n", "2"),
    "cache": ("-p", "cacheprovider", "--lf"),
    # Results published under xdist, the journal in the searched folder, failed tests'
    # output attached: what the stand-in received is searched too.
    "publishing": (
        "-n",
        "2",
        "--xray-publish",
        "--xray-project=DEMO",
        "--zephyr-publish",
        "--zephyr-project=DEMO",
        "--tm-auth-journal=out/journal.jsonl",
        "--tm-auth-attach-output",
    ),
}
#: The stand-in's routes whose requests carry a credential by design: not searched.
LOGIN_ROUTES = ("xray.authenticate", "oauth.token", "jiradc.oauth")

CONFTEST = """
import logging
import os
import warnings

import pytest

log = logging.getLogger("suite")
SECRETS = [os.environ[name] for name in ("XRAY_CLIENT_SECRET", "ZEPHYR_TOKEN", "JIRA_TOKEN")]


@pytest.hookimpl(wrapper=True)
def pytest_tm_auth_authenticate(login):
    # A team's response hook on the login session that logs and prints the login answer.
    def log_answer(response, *args, **kwargs):
        log.warning("login answer %s", response.text)
        print("login answer", response.text)

    login.http.hooks["response"].append(log_answer)
    return (yield)


@pytest.fixture
def secrets(xray_token):
    with open(os.environ["LEAK_TOKEN_FILE"], "w") as kept:  # outside the searched folder
        kept.write(str(xray_token))
    values = [str(xray_token), *SECRETS]
    yield values
    for value in values:
        print("teardown", value)


@pytest.fixture
def broken_teardown(secrets):
    yield
    raise RuntimeError("teardown failed with " + secrets[0])
"""

SUITE = """
import logging
import os
import warnings

import pytest

log = logging.getLogger("suite")
SECRET = os.environ["XRAY_CLIENT_SECRET"]
# Every result is published when publishing is on.
pytestmark = [pytest.mark.xray("DEMO-1"), pytest.mark.zephyr("DEMO-T1")]


def test_notes_its_result(secrets, tm_result):
    tm_result.comment("commented " + " ".join(secrets))
    tm_result.attach("evidence.txt", "attached " + " ".join(secrets), "text/plain")
    tm_result.attach(secrets[1] + ".log", "named by a secret", "text/plain")
    assert False, "failed with notes"


def test_prints_and_logs(secrets, capsys):
    for value in secrets:
        print("stdout", value)
        print("stderr", value, file=__import__("sys").stderr)
        log.debug("debug %s", value)
        log.warning("warning %s", value)
        warnings.warn("warned " + value)
    assert False, "failed"


def test_asserts(secrets):
    token = secrets[0]
    assert token == "another value"


def test_raises(secrets):
    raise ValueError("refused: " + " ".join(secrets))


def test_fails(secrets):
    pytest.fail("failing with " + secrets[1])


def test_skips(secrets):
    pytest.skip("skipping with " + secrets[2])


def test_xfails(secrets):
    pytest.xfail("xfailing with " + secrets[3])


@pytest.mark.parametrize("value", [SECRET])
def test_parametrized_by_value(value):
    assert value


@pytest.mark.parametrize("value", [1], ids=[SECRET])
def test_parametrized_by_id(value):
    assert value


def test_records(secrets, record_property, record_testsuite_property, record_xml_attribute):
    record_property("token", secrets[0])
    record_testsuite_property("secret", secrets[1])
    record_xml_attribute("secret", secrets[2])


def test_teardown_error(broken_teardown):
    pass


def test_subtests(secrets, subtests):
    for index, value in enumerate(secrets):
        with subtests.test(msg="tok " + value, sec=value, index=index, creds={"key": value}):
            print("in the subtest", value)
            assert False, value
    with subtests.test("passes with " + secrets[0], sec=secrets[1]):
        pass


class TestUnittestSubtests(__import__("unittest").TestCase):
    def test_subtest(self):
        with self.subTest("unittest tok " + SECRET, sec=SECRET):
            self.fail("failed with " + SECRET)
"""

BROKEN_MODULE = """
import os

raise ImportError("cannot import with " + os.environ["ZEPHYR_TOKEN"])
"""


def sent(sandbox: Sandbox) -> str:
    """What the stand-in received besides logins: each body as text, with the base64 data
    inside JSON (evidence) decoded, and the files inside zips (Zephyr Scale's uploads)."""
    texts = []
    for record in sandbox.requests:
        if record.route in LOGIN_ROUTES or not record.body:
            continue
        texts.append(record.body.decode("utf-8", "replace"))
        texts += unzipped(record.body)
        try:
            document = json.loads(record.body)
        except ValueError:
            continue
        texts += [base64.b64decode(data).decode("utf-8", "replace") for data in datas(document)]
    return "\n".join(texts)


def unzipped(body: bytes) -> list[str]:
    """The text of each file in the zip a multipart body carries, if any."""
    start = body.find(b"PK\x03\x04")
    if start < 0:
        return []
    with zipfile.ZipFile(io.BytesIO(body[start:])) as archive:  # the parts after: ignored
        return [archive.read(name).decode("utf-8", "replace") for name in archive.namelist()]


def datas(document: object) -> list[str]:
    """Every ``data`` string in a JSON document (Xray's evidence, base64)."""
    if isinstance(document, dict):
        found = [value for name, value in document.items() if name == "data"]
        return [d for d in found if isinstance(d, str)] + datas(list(document.values()))
    if isinstance(document, list):
        return [data for item in document for data in datas(item)]
    return []


def forms(value: str) -> dict[str, str]:
    """The ways output may show ``value``."""
    return {
        "raw": value,
        "json": json.dumps(value)[1:-1],
        "url": quote(value, safe=""),
        "base64": base64.b64encode(value.encode()).decode(),
        "basic": base64.b64encode(f"{DEMO.jira_email}:{value}".encode()).decode(),
    }


def leaks(result: pytest.RunResult, root: Path, token: str, received: str = "") -> list[str]:
    """Every place and form in which a secret or the token shows in the run's output, and
    in what the stand-in ``received``."""
    secrets = {
        "xray client secret": DEMO.xray_client_secret,
        "zephyr token": DEMO.zephyr_token,
        "jira token": DEMO.jira_api_token,
        "issued token": token,
    }
    places = {
        "stdout": result.stdout.str(),
        "stderr": result.stderr.str(),
        "the stand-in": received,
    }
    for path in root.rglob("*"):
        if path.is_file():
            places[str(path.relative_to(root))] = path.read_bytes().decode("utf-8", "replace")
    found = []
    for where, text in places.items():
        for name, value in secrets.items():
            for form, shown in forms(value).items():
                if shown in text:
                    found.append(f"{name} ({form}) in {where}")
        payload = token.split(".")[1] if token.count(".") == 2 else token
        if payload in text:
            found.append(f"issued token's payload in {where}")
    return sorted(set(found))


HUNG_SUITE = """
import threading


def test_hangs(secrets):
    for value in secrets:
        print("before the hang", value)
    threading.Event().wait()
"""
#: pytest-timeout's thread method (its default where there is no SIGALRM): on a hung test it
#: prints the test's captured output and stacks from its timer thread, then ends the process.
HUNG_TEST_TIMEOUT = ("--timeout=2", "--timeout-method=thread", "-o", "timeout_func_only=true")


def run_suite(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, *args: str, suite: str = SUITE
) -> tuple[pytest.RunResult, str]:
    """The suite against the stand-in that ``cloud_env`` configured; the issued token."""
    token_file = pytester.path.parent / f"{pytester.path.name}-token"
    monkeypatch.setenv("LEAK_TOKEN_FILE", str(token_file))
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_suite=suite, test_broken=BROKEN_MODULE)
    (pytester.path / "out").mkdir()
    result = pytester.runpytest_subprocess(*REPORTERS, *args)
    return result, token_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("mode", MODES)
def test_no_secret_in_any_output(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    cloud_env.keep_bodies()
    result, token = run_suite(pytester, monkeypatch, *MODES[mode])

    outcomes = result.parseoutcomes()
    assert outcomes.get("failed", 0) >= 4, result.stdout.str()  # the suite really ran
    assert outcomes.get("errors", outcomes.get("error", 0)) >= 2  # the teardown, the module
    assert token.count(".") == 2  # a real issued JWT, so the search looks for something
    received = sent(cloud_env)
    assert leaks(result, pytester.path, token, received) == []
    if mode == "publishing":  # the results landed, notes and evidence with them
        result.stdout.fnmatch_lines(
            ["xray: published 1 result to DEMO-*", "zephyr: published 1 result to DEMO-R*"]
        )
        assert "test_parametrized_by_id[***]" in received  # the custom upload's sources
        assert "commented ***" in received
        assert "attached ***" in received


@pytest.mark.parametrize(
    ("workers", "shown"),
    [
        ([], ["*+ Timeout +*", "before the hang ***"]),  # the output it printed, scrubbed
        # An xdist worker's terminal goes nowhere: the controller tells of the crash.
        (["-n", "2"], ["*crashed while running 'test_suite.py::test_hangs'*"]),
    ],
    ids=["no-xdist", "xdist"],
)
def test_a_hung_test_ended_by_pytest_timeouts_thread_prints_no_secret(
    pytester: pytest.Pytester,
    cloud_env: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    workers: list[str],
    shown: list[str],
) -> None:
    result, token = run_suite(pytester, monkeypatch, *HUNG_TEST_TIMEOUT, *workers, suite=HUNG_SUITE)

    result.stdout.fnmatch_lines(shown)  # pytest-timeout really ended the hung test
    assert token.count(".") == 2
    assert leaks(result, pytester.path, token) == []


def test_the_matrix_finds_the_leaks_when_scrubbing_is_off(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, token = run_suite(pytester, monkeypatch, "-p", "no:tm_auth_redaction")

    found = leaks(result, pytester.path, token)

    for reporter in ("allure", "report.json", "report.csv", "report.html", "log.jsonl", "junit"):
        assert any(reporter in place for place in found), (reporter, found)
    assert any(place.startswith("issued token") for place in found)
    report_log = (pytester.path / "out" / "log.jsonl").read_text("utf-8")
    # A subtest's msg, which only the subtest shows: the fixture's, and unittest's subTest.
    for subtest_name in (f"tok {DEMO.zephyr_token}", f"unittest tok {DEMO.xray_client_secret}"):
        assert subtest_name in result.stdout.str()
        assert subtest_name in report_log


def test_the_matrix_finds_a_hung_tests_leaks_when_scrubbing_is_off(
    pytester: pytest.Pytester, cloud_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, token = run_suite(
        pytester, monkeypatch, *HUNG_TEST_TIMEOUT, "-p", "no:tm_auth_redaction", suite=HUNG_SUITE
    )

    found = leaks(result, pytester.path, token)

    assert "issued token (raw) in stdout" in found
    assert "xray client secret (raw) in stdout" in found
    result.stdout.fnmatch_lines([f"before the hang {DEMO.jira_api_token}"])


def test_a_secret_in_a_parametrize_value_gives_an_id_with_stars_and_stays_out_of_the_cache(
    pytester: pytest.Pytester, cloud_env: Sandbox
) -> None:
    pytester.makepyfile(
        test_ids="""
        import os
        import pytest

        @pytest.mark.parametrize("value", [os.environ["XRAY_CLIENT_SECRET"]])
        def test_by_value(value):
            assert value == os.environ["XRAY_CLIENT_SECRET"]  # the test still gets the value
            assert value == "another"

        @pytest.mark.parametrize("value", [1], ids=[os.environ["JIRA_TOKEN"]])
        def test_by_id(value):
            assert value == 2
        """
    )

    result = pytester.runpytest_subprocess("-p", "cacheprovider", "-v", "--setup-show")

    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "test_ids.py::test_by_value[[]***[]] *",
            "*SETUP    F value[[]Secret('***')[]]*",
            "test_ids.py::test_by_id[[]***[]] *",
        ]
    )
    cache = "".join(path.read_text("utf-8") for path in pytester.path.rglob("v/cache/*"))
    assert "test_by_value[***]" in cache
    for secret in (DEMO.xray_client_secret, DEMO.jira_api_token):
        assert secret not in cache
        assert secret not in result.stdout.str()


def test_a_short_password_is_hidden_alone_without_garbling_words_and_is_warned_about(
    pytester: pytest.Pytester, datacenter_env: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("JIRA_TOKEN")
    monkeypatch.setenv("JIRA_USERNAME", DEMO.jira_username)
    monkeypatch.setenv("JIRA_PASSWORD", "test")
    pytester.makepyfile(
        test_ow="""
        def test_words():
            print("the password is", "test")
            assert "test_words" == "protest"
        """
    )

    result = pytester.runpytest("-p", "no:cacheprovider", "-rA")

    result.assert_outcomes(failed=1, warnings=1)
    output = result.stdout.str()
    assert "def test_words():" in output
    assert "test_ow.py:" in output
    assert "the password is ***" in output
    result.stdout.fnmatch_lines(
        ["*ShortSecretWarning: --jira-password from env (JIRA_PASSWORD) is shorter than 8*"]
    )


DEBUG_EVERYTHING = """
import http.client
import logging

http.client.HTTPConnection.debuglevel = 1  # prints every request, headers and body
logging.basicConfig(level=logging.DEBUG)
"""


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["no-xdist", "xdist"])
def test_logins_print_nothing_secret_even_with_http_debugging_on(
    pytester: pytest.Pytester,
    cloud_env: Sandbox,
    workers: list[str],
) -> None:
    """With ``http.client`` printing every request and DEBUG logging to the terminal, a run
    under xdist shows no more than the same run without it: no secret, no token."""
    pytester.makeconftest(DEBUG_EVERYTHING)
    pytester.makepyfile(
        test_calls="""
        def test_xray(xray_session):
            assert xray_session.post("graphql", json={"query": "{ x }"}).status_code == 200

        def test_zephyr(zephyr_session):
            assert zephyr_session.get("testcycles").status_code == 200

        def test_jira(jira_session):
            assert jira_session.get("myself").status_code == 200
        """
    )

    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rA", *workers)

    result.assert_outcomes(passed=3)
    assert cloud_env.count("xray.authenticate") == 1
    output = result.stdout.str() + result.stderr.str()
    for secret in (DEMO.xray_client_secret, DEMO.zephyr_token, DEMO.jira_api_token):
        for form, shown in forms(secret).items():
            assert shown not in output, form
    assert "Bearer eyJ" not in output
