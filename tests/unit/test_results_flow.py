"""Publishing a journal exactly once, against a tiny Xray of our own over loopback HTTP:
the steps journaled before each request, a lost answer said as such, replays that land in
the same Test Execution and never create a second one."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pytest_tm_auth.core.provider import Target
from pytest_tm_auth.http.session import Transport
from pytest_tm_auth.results.journal import Journal, read_journal
from pytest_tm_auth.results.model import Landing, Result
from pytest_tm_auth.results.publish import Outcome, Publishing, publish
from pytest_tm_auth.results.xray_client import XrayClient

#: An answer: status and JSON body, or DROP to close the connection after reading the request.
DROP = "drop"
Answer = Any


class FakeXray:
    """Answers each ``(method, path)`` from a script (the last answer repeats); records
    every request's method, path and JSON body."""

    def __init__(self) -> None:
        self.script: dict[tuple[str, str], list[Answer]] = {}
        self.requests: list[tuple[str, str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path = self.path.partition("?")[0]
                fake.requests.append((self.command, path, json.loads(body) if body else None))
                answers = fake.script.get((self.command, path), [(404, {"error": "no route"})])
                answer = answers.pop(0) if len(answers) > 1 else answers[0]
                if answer == DROP:
                    self.close_connection = True
                    self.connection.close()
                    return
                status, data = answer
                text = (data if isinstance(data, str) else json.dumps(data)).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            do_GET = do_POST = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p, _ in self.requests if (m, p) == (method, path))

    def bodies(self, method: str, path: str) -> list[Any]:
        return [body for m, p, body in self.requests if (m, p) == (method, path)]


@pytest.fixture
def fake() -> Iterator[FakeXray]:
    server = FakeXray()
    yield server
    server.server.shutdown()
    server.server.server_close()


CLOUD_CREATE = ("POST", "/api/v2/graphql")
CLOUD_IMPORT = ("POST", "/api/v2/import/execution")
DC_CREATE = ("POST", "/jira/rest/api/2/issue")
DC_IMPORT = ("POST", "/jira/rest/raven/2.0/import/execution")
DC_IMPORT_1 = ("POST", "/jira/rest/raven/1.0/import/execution")
DC_SEARCH = ("GET", "/jira/rest/api/2/search")


#: The search by the run's label finds no Test Execution.
NONE_FOUND = (200, {"data": {"getTestExecutions": {"total": 0, "results": []}}})


def created(key: str) -> Answer:
    execution = {"issueId": "10001", "jira": {"key": key}}
    return (200, {"data": {"createTestExecution": {"testExecution": execution, "warnings": []}}})


def journal_at(tmp_path: Path, *results: Result, **xray: Any) -> Path:
    path = tmp_path / "journal.jsonl"
    header = {
        "run": "0a1b2c3d4e5f",
        "started": 1_796_000_000.0,
        "label": "tm-auth-0a1b2c3d4e5f",
        "host": "build-7",
        "rootdir": str(tmp_path),
        "services": {"xray": {"project": "DEMO", **xray}},
    }
    journal = Journal.create(path, header)
    for result in results or (linked("t.py::a", "DEMO-1"), linked("t.py::b", "DEMO-2")):
        journal.add_result(result)
    journal.close()
    return path


def linked(nodeid: str, key: str, outcome: str = "passed", **fields: Any) -> Result:
    test = nodeid.partition("[")[0]
    return Result(
        nodeid, test, {"xray": (key,)}, outcome, 1_796_000_000.0, 1_796_000_001.0, **fields
    )


def publishing(
    fake: FakeXray,
    deployment: str = "cloud",
    *,
    dry_run: bool = False,
    on_payload: Callable[[dict[str, Any]], None] = lambda payload: None,
    landed: list[Landing] | None = None,
) -> Publishing:
    if deployment == "cloud":
        target = Target("cloud", fake.url, fake.url + "/api/v2/", ())
    else:
        target = Target("datacenter", fake.url + "/jira", fake.url + "/jira/rest/raven/2.0/", ())
    logins: list[int] = []

    def client() -> XrayClient:
        logins.append(1)
        session = Transport(timeout=5, retries=2).session(target.api_url)
        return XrayClient(session, target, "https://demo.atlassian.net")

    seen = landed if landed is not None else []
    return Publishing(
        "xray",
        client,
        lambda: deployment,
        lambda text: text.replace("demo-token-not-real", "***"),
        on_payload=on_payload,
        on_landed=seen.append,
        dry_run=dry_run,
    )


def test_one_creation_then_one_import_and_the_steps_journaled(
    fake: FakeXray, tmp_path: Path
) -> None:
    fake.script[CLOUD_CREATE] = [NONE_FOUND, created("DEMO-1201")]
    fake.script[CLOUD_IMPORT] = [(200, {"id": "10001", "key": "DEMO-1201", "self": "x"})]
    path = journal_at(tmp_path)
    landed: list[Landing] = []
    outcome = publish(path, publishing(fake, landed=landed))
    assert outcome.line().startswith(
        "xray: published 2 results to DEMO-1201 (https://demo.atlassian.net/browse/DEMO-1201) in "
    )
    assert (fake.count(*CLOUD_CREATE), fake.count(*CLOUD_IMPORT)) == (2, 1)  # search, create
    creation = fake.bodies(*CLOUD_CREATE)[1]["variables"]["jira"]["fields"]
    assert creation["labels"] == ["tm-auth-0a1b2c3d4e5f"]
    assert creation["project"] == {"key": "DEMO"}
    assert fake.bodies(*CLOUD_IMPORT)[0]["testExecutionKey"] == "DEMO-1201"
    progress = read_journal(path).progress("xray")
    assert progress.creating == "tm-auth-0a1b2c3d4e5f"
    assert progress.target is not None
    assert progress.target["key"] == "DEMO-1201"
    assert progress.landed is not None
    assert progress.landed["count"] == 2
    assert [landing.key for landing in landed] == ["DEMO-1201"]
    again = publish(path, publishing(fake))
    assert again.already
    assert "already published to DEMO-1201" in again.line()
    assert len(fake.requests) == 3  # nothing sent again


def test_an_existing_execution_is_imported_into_without_creating_one(
    fake: FakeXray, tmp_path: Path
) -> None:
    fake.script[CLOUD_IMPORT] = [(200, {"key": "DEMO-500"})]
    outcome = publish(journal_at(tmp_path, test_execution="DEMO-500"), publishing(fake))
    assert not outcome.failed, outcome.line()
    assert fake.count(*CLOUD_CREATE) == 0
    assert fake.count(*CLOUD_IMPORT) == 1


def test_a_lost_creation_answer_is_found_by_its_label_next_time(
    fake: FakeXray, tmp_path: Path
) -> None:
    fake.script[CLOUD_CREATE] = [NONE_FOUND, DROP]
    path = journal_at(tmp_path)
    first = publish(path, publishing(fake))
    assert first.ambiguous
    assert first.line().startswith("xray: outcome unknown: creating the Test Execution")
    assert f"pytest-tm-auth publish {path}" in first.line()
    assert fake.count(*CLOUD_IMPORT) == 0
    found = {"total": 1, "results": [{"issueId": "10001", "jira": {"key": "DEMO-1201"}}]}
    fake.script[CLOUD_CREATE] = [(200, {"data": {"getTestExecutions": found}})]
    fake.script[CLOUD_IMPORT] = [(200, {"key": "DEMO-1201"})]
    second = publish(path, publishing(fake))
    assert second.landing is not None, second.line()
    assert second.landing.key == "DEMO-1201"
    queries = [body["query"] for body in fake.bodies(*CLOUD_CREATE)]
    assert ["createTestExecution" in q for q in queries] == [False, True, False]  # made once
    assert fake.bodies(*CLOUD_CREATE)[2]["variables"]["jql"] == 'labels = "tm-auth-0a1b2c3d4e5f"'


def test_a_lost_import_answer_is_an_outcome_unknown_and_a_replay_lands_in_the_same_key(
    fake: FakeXray, tmp_path: Path
) -> None:
    fake.script[CLOUD_CREATE] = [NONE_FOUND, created("DEMO-1201")]
    fake.script[CLOUD_IMPORT] = [DROP, (200, {"key": "DEMO-1201"})]
    path = journal_at(tmp_path)
    first = publish(path, publishing(fake))
    assert first.ambiguous
    assert "importing the results into DEMO-1201" in first.line()
    assert "the outcome is unknown" in first.line()
    assert fake.count(*CLOUD_IMPORT) == 1  # not retried blindly
    assert read_journal(path).progress("xray").failures
    second = publish(path, publishing(fake))
    assert second.landing is not None
    assert second.landing.key == "DEMO-1201"
    assert fake.count(*CLOUD_CREATE) == 2  # the search and the creation, once
    assert fake.count(*CLOUD_IMPORT) == 2
    assert [body["testExecutionKey"] for body in fake.bodies(*CLOUD_IMPORT)] == ["DEMO-1201"] * 2


def test_datacenter_creates_a_jira_issue_and_falls_back_to_raven_1(
    fake: FakeXray, tmp_path: Path
) -> None:
    fake.script[DC_SEARCH] = [(200, {"issues": [], "total": 0})]
    fake.script[DC_CREATE] = [(201, {"id": "10001", "key": "DEMO-1201"})]
    fake.script[DC_IMPORT_1] = [
        (200, {"testExecIssue": {"key": "DEMO-1201"}, "testIssues": {"success": []}})
    ]
    outcome = publish(journal_at(tmp_path), publishing(fake, "datacenter"))
    assert outcome.landing is not None, outcome.line()
    assert outcome.landing.url == f"{fake.url}/jira/browse/DEMO-1201"
    fields = fake.bodies(*DC_CREATE)[0]["fields"]
    assert fields["issuetype"] == {"name": "Test Execution"}
    assert fields["labels"] == ["tm-auth-0a1b2c3d4e5f"]
    assert (fake.count(*DC_IMPORT), fake.count(*DC_IMPORT_1)) == (1, 1)
    assert {test["status"] for test in fake.bodies(*DC_IMPORT_1)[0]["tests"]} == {"PASS"}


def test_datacenter_200_with_two_rejected_keys_fails_naming_both(
    fake: FakeXray, tmp_path: Path
) -> None:
    errors = [
        {"testKey": "DEMO-1", "messages": ["Test not found"]},
        {"testKey": "DEMO-2", "messages": ["Issue is not a Test"]},
    ]
    fake.script[DC_SEARCH] = [(200, {"issues": [], "total": 0})]
    fake.script[DC_CREATE] = [(201, {"id": "1", "key": "DEMO-1201"})]
    fake.script[DC_IMPORT] = [
        (200, {"testExecIssue": {"key": "DEMO-1201"}, "testIssues": {"error": errors}})
    ]
    path = journal_at(tmp_path)
    outcome = publish(path, publishing(fake, "datacenter"))
    assert outcome.failed
    assert not outcome.ambiguous
    assert "DEMO-1 (Test not found), DEMO-2 (Issue is not a Test)" in outcome.line()
    assert read_journal(path).progress("xray").landed is None


def test_an_error_status_is_one_line_with_xrays_reason(fake: FakeXray, tmp_path: Path) -> None:
    fake.script[CLOUD_CREATE] = [NONE_FOUND, created("DEMO-1201")]
    fake.script[CLOUD_IMPORT] = [(400, {"error": "Status FAIL is not valid"})]
    outcome = publish(journal_at(tmp_path), publishing(fake))
    assert "Xray answered HTTP 400: Status FAIL is not valid" in outcome.line()


def test_a_dry_run_sends_nothing_and_runs_the_hook(fake: FakeXray, tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []
    path = journal_at(tmp_path)
    outcome = publish(path, publishing(fake, dry_run=True, on_payload=seen.append))
    assert outcome.line() == (
        "xray: dry run: 2 results for a new Test Execution built and checked; nothing sent"
    )
    assert fake.requests == []
    assert len(seen) == 1
    assert read_journal(path).services == {}


def test_the_payload_is_scrubbed_after_the_hook(fake: FakeXray, tmp_path: Path) -> None:
    fake.script[CLOUD_IMPORT] = [(200, {"key": "DEMO-500"})]

    def leaky(payload: dict[str, Any]) -> None:
        payload["info"]["description"] = "demo-token-not-real"

    publish(journal_at(tmp_path, test_execution="DEMO-500"), publishing(fake, on_payload=leaky))
    assert "demo-token-not-real" not in json.dumps(fake.requests)


def test_no_linked_result_is_nothing_to_publish(fake: FakeXray, tmp_path: Path) -> None:
    unlinked = Result("t.py::a", "t.py::a", {}, "passed", 0.0, 1.0)
    outcome = publish(journal_at(tmp_path, unlinked), publishing(fake))
    assert outcome.line() == "xray: no linked test was selected: nothing to publish"
    assert fake.requests == []


def test_an_untrusted_journal_is_refused_in_one_line(fake: FakeXray, tmp_path: Path) -> None:
    path = journal_at(tmp_path)
    path.chmod(0o644)
    outcome = publish(path, publishing(fake))
    assert "is open to other users" in outcome.line()
    assert fake.requests == []
    assert isinstance(outcome, Outcome)


def test_a_hook_that_raises_sends_nothing_and_says_why(fake: FakeXray, tmp_path: Path) -> None:
    def broken(payload: dict[str, Any]) -> None:
        raise KeyError("demo-token-not-real")

    path = journal_at(tmp_path, test_execution="DEMO-500")
    outcome = publish(path, publishing(fake, on_payload=broken))
    assert "the pytest_tm_auth_results hook raised KeyError: '***'" in outcome.line()
    assert fake.requests == []


def test_what_was_dropped_is_said_with_the_test_it_was_dropped_from(
    fake: FakeXray, tmp_path: Path
) -> None:
    fake.script[CLOUD_IMPORT] = [(200, {"key": "DEMO-500"})]
    cut = linked("t.py::a", "DEMO-1", dropped=("a tm_result comment dropped: the comment is full",))
    outcome = publish(journal_at(tmp_path, cut, test_execution="DEMO-500"), publishing(fake))
    assert outcome.notes() == ["xray: t.py::a: a tm_result comment dropped: the comment is full"]
    outcome.dropped = [f"n{i}" for i in range(25)]
    assert outcome.notes()[-1] == "xray: and 5 more dropped"


def test_a_label_that_could_change_the_search_is_never_used(fake: FakeXray, tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    header = {
        "run": "x",
        "label": 'x" OR project = "OTHER',
        "services": {"xray": {"project": "DEMO"}},
    }
    journal = Journal.create(path, header)
    journal.add_result(linked("t.py::a", "DEMO-1"))
    journal.close()
    outcome = publish(path, publishing(fake))
    assert "no label to create the execution with" in outcome.line()
    assert fake.requests == []


def test_an_unexpected_error_of_a_service_s_side_is_one_certain_line(
    fake: FakeXray, tmp_path: Path
) -> None:
    def broken() -> XrayClient:
        raise RuntimeError("no client\nfor demo-token-not-real")

    path = journal_at(tmp_path, test_execution="DEMO-500")
    chosen = publishing(fake)
    chosen.client = broken
    outcome = publish(path, chosen)
    line = outcome.line()
    assert line.startswith("xray: results not published: publishing stopped on an unexpected ")
    assert "RuntimeError" in line
    assert "***" in line
    assert "demo-token-not-real" not in line
    assert "\n" not in line
    assert not outcome.ambiguous
    (progress,) = read_journal(path).services.values()
    assert progress.failures
    assert progress.creation_refused is False
