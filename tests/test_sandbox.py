"""The stand-in server, exercised over real loopback HTTP(S) with requests: no mocks."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import requests
import trustme

from pytest_tm_auth.sandbox import (
    DEMO,
    Fault,
    Recorded,
    Request,
    Response,
    Sandbox,
    Service,
    State,
    json_response,
    same_secret,
    text_response,
)
from pytest_tm_auth.sandbox.__main__ import main
from pytest_tm_auth.sandbox.server import Deployment

ROOT = Path(__file__).resolve().parent.parent
XRAY_CREDENTIALS = {"client_id": DEMO.xray_client_id, "client_secret": DEMO.xray_client_secret}
NOT_AUTHENTICATED = {
    "message": "Client must be authenticated to access this resource.",
    "status-code": 401,
}
OTHER_REGION = (
    "Xray data is in another region. Contact support to migrate Xray data to current region."
)


@pytest.fixture(scope="module")
def shared() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(shared: Sandbox) -> Sandbox:
    """The module's server, forgetting everything earlier tests did to it."""
    shared.reset()
    return shared


@pytest.fixture
def fresh() -> Iterator[Sandbox]:
    """A server of its own, for tests whose slow answers must not leak into other tests."""
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.trust_env = False  # no proxies or netrc from the machine running the tests
        yield session


def claims_of(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    return decoded


def login(http: requests.Session, sandbox: Sandbox) -> str:
    response = http.post(f"{sandbox.url}/api/v2/authenticate", json=XRAY_CREDENTIALS)
    assert response.status_code == 200
    token: str = response.json()
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# Xray Cloud


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_xray_authenticate_returns_a_json_string_holding_a_jwt(
    sandbox: Sandbox, http: requests.Session, version: str
) -> None:
    before = time.time()
    response = http.post(f"{sandbox.url}/api/{version}/authenticate", json=XRAY_CREDENTIALS)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.text.startswith('"')
    assert response.text.endswith('"')
    token = response.json()
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header["alg"] == "HS256"
    claims = claims_of(token)
    assert claims["aud"] == DEMO.xray_client_id
    assert claims["iss"] == "com.xpandit.xray"
    assert {"tenant", "userKey", "sub"} <= claims.keys()
    assert claims["exp"] - claims["iat"] == 86400
    assert before - 1 <= claims["iat"] <= time.time()
    assert sandbox.count("xray.authenticate", status=200) == 1


def test_token_lifetime_sets_exp() -> None:
    with Sandbox(token_lifetime=60) as sandbox, requests.Session() as http:
        claims = claims_of(login(http, sandbox))
    assert claims["exp"] - claims["iat"] == 60


def as_json(**changes: str) -> bytes:
    return json.dumps({**XRAY_CREDENTIALS, **changes}).encode()


INVALID = '{"error":"Authentication failed. Invalid client credentials!"}'


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ((b"{not json", "application/json"), (400, "text/plain", "Bad Request")),
        ((b'{"client_id": "x"}', "application/json"), (400, "text/plain", "client_secret")),
        ((as_json(), "text/plain"), (400, "text/plain", "Content-Type")),
        ((as_json(client_secret="wrong"), "application/json"), (401, "application/json", INVALID)),
        ((as_json(client_id="someone"), "application/json"), (401, "application/json", INVALID)),
        (
            (as_json(client_id=DEMO.xray_unlicensed_client_id), "application/json"),
            (401, "text/plain", "The Xray license is not valid"),
        ),
    ],
    ids=["bad-json", "missing-secret", "wrong-type", "wrong-secret", "unknown-client", "license"],
)
def test_xray_authenticate_failures(
    sandbox: Sandbox,
    http: requests.Session,
    sent: tuple[bytes, str],
    expected: tuple[int, str, str],
) -> None:
    body, content_type = sent
    status, media_type, text = expected
    response = http.post(
        f"{sandbox.url}/api/v2/authenticate", data=body, headers={"Content-Type": content_type}
    )
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith(media_type)
    assert text in response.text
    assert sandbox.count("xray.authenticate", status=status) == 1


def test_xray_other_region_gets_the_region_error(sandbox: Sandbox, http: requests.Session) -> None:
    credentials = {**XRAY_CREDENTIALS, "client_id": DEMO.xray_other_region_client_id}
    response = http.post(f"{sandbox.url}/api/v2/authenticate", json=credentials)
    assert response.status_code == 401
    assert response.json() == {"error": OTHER_REGION}


def test_xray_graphql_and_import_accept_a_fresh_token(
    sandbox: Sandbox, http: requests.Session
) -> None:
    headers = bearer(login(http, sandbox))
    graphql = http.post(
        f"{sandbox.url}/api/v2/graphql",
        json={"query": "{ getTests(limit: 1) { total } }"},
        headers=headers,
    )
    assert graphql.status_code == 200
    assert graphql.json()["data"]["getTests"]["total"] == 250
    new_execution = b'{"info": {"summary": "Demo run", "project": "DEMO"}}'
    for suffix, key in (("", "DEMO-461"), ("/junit", "DEMO-10"), ("/multipart", "DEMO-10")):
        response = http.post(
            f"{sandbox.url}/api/v2/import/execution{suffix}", data=new_execution, headers=headers
        )
        assert response.status_code == 200, suffix
        assert response.json()["key"] == key
    assert sandbox.count("xray.import") == 3
    assert sandbox.requests[-1].user == DEMO.xray_client_id


@pytest.mark.parametrize(
    ("make_headers", "error"),
    [
        (lambda s: {}, "Missing"),
        (lambda s: {"Authorization": "Basic " + base64.b64encode(b"a:b").decode()}, "Missing"),
        (lambda s: bearer(s.issue_xray_token(lifetime=-5)), "expired"),
        (lambda s: bearer(s.issue_xray_token()[:-3] + "abc"), "Invalid token"),
        (lambda s: bearer(Sandbox().issue_xray_token()), "Invalid token"),
        (lambda s: bearer("not-a-jwt"), "Invalid token"),
    ],
    ids=["none", "basic", "expired", "tampered", "other-server", "garbage"],
)
def test_xray_endpoints_refuse_bad_tokens(
    sandbox: Sandbox, http: requests.Session, make_headers: Any, error: str
) -> None:
    response = http.post(
        f"{sandbox.url}/api/v2/graphql", json={"query": "{ x }"}, headers=make_headers(sandbox)
    )
    assert response.status_code == 401
    assert response.headers["Content-Type"].startswith("application/json")
    assert error in response.json()["error"]


def test_expire_tokens_rejects_earlier_tokens_only(
    sandbox: Sandbox, http: requests.Session
) -> None:
    old = login(http, sandbox)
    sandbox.expire_tokens()
    url = f"{sandbox.url}/api/v2/graphql"
    refused = http.post(url, json={"query": "{ x }"}, headers=bearer(old))
    assert refused.status_code == 401
    assert "expired" in refused.json()["error"]
    new = login(http, sandbox)
    assert http.post(url, json={"query": "{ x }"}, headers=bearer(new)).status_code == 200


def test_revoke_tokens_until_reset(sandbox: Sandbox, http: requests.Session) -> None:
    token = sandbox.issue_xray_token()
    url = f"{sandbox.url}/api/v2/import/execution"
    sandbox.revoke_tokens()
    refused = http.post(url, json={}, headers=bearer(token))
    assert refused.status_code == 401
    assert refused.json() == {"error": "Authentication failed. Invalid token!"}
    sandbox.reset()
    new_execution = {"info": {"summary": "Demo run", "project": "DEMO"}}
    assert http.post(url, json=new_execution, headers=bearer(token)).status_code == 200


# Jira


@pytest.mark.parametrize("version", ["2", "3"])
def test_jira_cloud_myself(sandbox: Sandbox, http: requests.Session, version: str) -> None:
    url = f"{sandbox.url}/rest/api/{version}/myself"
    ok = http.get(url, auth=(DEMO.jira_email, DEMO.jira_api_token))
    assert ok.status_code == 200
    assert ok.json()["emailAddress"] == DEMO.jira_email
    assert {"accountId", "displayName"} <= ok.json().keys()
    password = http.get(url, auth=(DEMO.jira_email, DEMO.jira_password))
    assert password.status_code == 401
    assert password.text.startswith("Basic authentication with passwords is deprecated")
    wrong = http.get(url, auth=(DEMO.jira_email, "wrong"))
    assert (wrong.status_code, wrong.json()) == (401, NOT_AUTHENTICATED)
    pat = http.get(url, headers=bearer(DEMO.jira_pat))
    assert (pat.status_code, pat.json()) == (401, NOT_AUTHENTICATED)


def test_jira_datacenter_myself_with_pat_or_password(
    sandbox: Sandbox, http: requests.Session
) -> None:
    url = f"{sandbox.jira_dc_url}/rest/api/2/myself"
    for kwargs in (
        {"headers": bearer(DEMO.jira_pat)},
        {"auth": (DEMO.jira_username, DEMO.jira_password)},
    ):
        response = http.get(url, **kwargs)
        assert response.status_code == 200
        assert response.headers["X-Seraph-LoginReason"] == "OK"
        assert response.headers["X-AUSERNAME"] == DEMO.jira_username
        assert response.json()["name"] == DEMO.jira_username
    assert [r.auth for r in sandbox.requests] == ["bearer", "basic"]
    assert [r.user for r in sandbox.requests] == [DEMO.jira_username] * 2


def test_jira_datacenter_refusal_headers(sandbox: Sandbox, http: requests.Session) -> None:
    url = f"{sandbox.jira_dc_url}/rest/api/2/myself"
    for kwargs in ({"headers": bearer("wrong-pat")}, {"auth": (DEMO.jira_username, "wrong")}):
        response = http.get(url, **kwargs)
        assert response.status_code == 401
        assert response.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
        assert response.json() == NOT_AUTHENTICATED
        assert "X-AUSERNAME" not in response.headers


def test_jira_datacenter_captcha_after_three_failed_logins(
    sandbox: Sandbox, http: requests.Session
) -> None:
    url = f"{sandbox.jira_dc_url}/rest/api/2/myself"
    statuses = [http.get(url, auth=(DEMO.jira_username, "wrong")).status_code for _ in range(3)]
    assert statuses == [401, 401, 401]
    denied = http.get(url, auth=(DEMO.jira_username, DEMO.jira_password))
    assert denied.status_code == 403
    assert denied.headers["X-Seraph-LoginReason"] == "AUTHENTICATION_DENIED"
    assert "CAPTCHA_CHALLENGE" in denied.headers["X-Authentication-Denied-Reason"]
    assert http.get(url, headers=bearer(DEMO.jira_pat)).status_code == 200  # PATs are not locked
    sandbox.reset()
    assert http.get(url, auth=(DEMO.jira_username, DEMO.jira_password)).status_code == 200


def test_captcha_switch_denies_basic_logins(sandbox: Sandbox, http: requests.Session) -> None:
    sandbox.captcha = True
    url = f"{sandbox.jira_dc_url}/rest/raven/1.0/api/test"
    response = http.get(url, auth=(DEMO.jira_username, DEMO.jira_password))
    assert response.status_code == 403
    assert response.headers["X-Seraph-LoginReason"] == "AUTHENTICATION_DENIED"
    sandbox.reset()
    assert sandbox.captcha is False
    assert http.get(url, auth=(DEMO.jira_username, DEMO.jira_password)).status_code == 200


# Xray Data Center


def test_xray_datacenter(sandbox: Sandbox, http: requests.Session) -> None:
    tests = http.get(
        f"{sandbox.jira_dc_url}/rest/raven/1.0/api/test",
        params={"keys": "DEMO-1;NOPE-9"},
        headers=bearer(DEMO.jira_pat),
    )
    assert tests.status_code == 200
    assert [t["key"] for t in tests.json()] == ["DEMO-1"]
    imported = http.post(
        f"{sandbox.jira_dc_url}/rest/raven/2.0/import/execution",
        json={"info": {"project": "DEMO"}, "tests": []},
        auth=(DEMO.jira_username, DEMO.jira_password),
    )
    assert imported.status_code == 200
    assert imported.json()["testExecIssue"]["key"] == "DEMO-461"
    anonymous = http.post(f"{sandbox.jira_dc_url}/rest/raven/2.0/import/execution", json={})
    assert anonymous.status_code == 401
    xray_token = http.get(
        f"{sandbox.jira_dc_url}/rest/raven/1.0/api/test", headers=bearer(login(http, sandbox))
    )
    assert xray_token.status_code == 401
    assert sandbox.count("xraydc") == 4
    assert sandbox.count("xraydc.import", status=401) == 1


# Zephyr Scale


def test_zephyr_cloud(sandbox: Sandbox, http: requests.Session) -> None:
    base = f"{sandbox.url}/v2"
    headers = bearer(DEMO.zephyr_token)
    page = http.get(f"{base}/projects", params={"maxResults": 1}, headers=headers)
    assert page.status_code == 200
    body = page.json()
    assert len(body["values"]) == body["maxResults"] == 1
    assert body["total"] >= 2
    assert body["isLast"] is False
    assert http.get(f"{base}/testcases/DEMO-T1", headers=headers).json()["key"] == "DEMO-T1"
    assert http.get(f"{base}/testcases/DEMO-T9999", headers=headers).status_code == 404
    cycles = http.get(f"{base}/testcycles", params={"projectKey": "DEMO"}, headers=headers)
    assert [c["key"] for c in cycles.json()["values"]] == [f"DEMO-R{n}" for n in range(1, 11)]
    execution = {
        "projectKey": "DEMO",
        "testCaseKey": "DEMO-T1",
        "testCycleKey": "DEMO-R1",
        "statusName": "Pass",
    }
    created = http.post(f"{base}/testexecutions", json=execution, headers=headers)
    assert created.status_code == 201
    incomplete = http.post(f"{base}/testexecutions", json={"projectKey": "DEMO"}, headers=headers)
    assert incomplete.status_code == 400
    assert sandbox.count("zephyr", status=200) == 3
    assert sandbox.count("zephyr") == sandbox.count("zephyr.testexecutions") + 4 == 6


def test_chunked_request_bodies_keep_the_connection_usable(
    sandbox: Sandbox, http: requests.Session
) -> None:
    execution = {"projectKey": "DEMO", "testCaseKey": "DEMO-T1"}
    execution |= {"testCycleKey": "DEMO-R1", "statusName": "Pass"}
    chunks = (piece.encode() for piece in json.dumps(execution).partition(","))
    headers = {**bearer(DEMO.zephyr_token), "Content-Type": "application/json"}
    created = http.post(f"{sandbox.url}/v2/testexecutions", data=chunks, headers=headers)
    assert created.status_code == 201
    assert http.get(f"{sandbox.url}/v2/healthcheck").status_code == 200
    assert sandbox.connections == 1


@pytest.mark.parametrize(
    "headers",
    [{}, bearer("nope"), bearer(DEMO.zephyr_token[:-2] + "xx"), {"Authorization": "Bearer"}],
    ids=["none", "garbage", "tampered", "empty"],
)
def test_zephyr_cloud_refuses_bad_tokens(
    sandbox: Sandbox, http: requests.Session, headers: dict[str, str]
) -> None:
    response = http.get(f"{sandbox.url}/v2/projects", params={"maxResults": 1}, headers=headers)
    assert response.status_code == 401
    assert response.json()["errorCode"] == 401


def test_zephyr_healthcheck_does_not_check_the_token(
    sandbox: Sandbox, http: requests.Session
) -> None:
    assert http.get(f"{sandbox.url}/v2/healthcheck").status_code == 200
    assert sandbox.count("zephyr.healthcheck") == 1


def test_zephyr_datacenter(sandbox: Sandbox, http: requests.Session) -> None:
    base = f"{sandbox.jira_dc_url}/rest/atm/1.0"
    pat = bearer(DEMO.jira_pat)
    health = http.get(f"{base}/healthcheck/", headers=pat)
    assert health.status_code == 200
    assert health.headers["X-AUSERNAME"] == DEMO.jira_username
    assert http.get(f"{base}/healthcheck/").status_code == 401
    assert http.get(f"{base}/healthcheck/", headers=bearer(DEMO.zephyr_token)).status_code == 401
    found = http.get(
        f"{base}/testcase/search", params={"query": 'projectKey = "DEMO"'}, headers=pat
    )
    assert [c["key"] for c in found.json()] == [f"DEMO-T{n}" for n in range(1, 201)]
    case = http.get(f"{base}/testcase/DEMO-T1", auth=(DEMO.jira_username, DEMO.jira_password))
    assert case.json()["projectKey"] == "DEMO"
    run = http.post(f"{base}/testrun", json={"projectKey": "DEMO"}, headers=pat)
    assert (run.status_code, run.json()["key"]) == (201, "DEMO-C1")
    assert sandbox.count("zephyrdc.search") == 1
    assert sandbox.count("zephyrdc", status=401) == 2


# services of your own: a tiny notes API whose path, like TestRail's, is in the query string

NOTES_TOKEN = "demo-notes-token-not-real"
DEPLOYMENTS: tuple[Deployment, ...] = ("cloud", "datacenter")


def _notes_target(path: str, query: str) -> str:
    return f"{path}?{query.split('&', 1)[0]}" if path == "/notes/index.php" else path


def _notes_list(request: Request, state: State, params: Mapping[str, str]) -> Response:
    if not same_secret(request.credentials.secret, NOTES_TOKEN):
        return json_response(401, {"error": "Authentication failed"})
    return json_response(200, [{"id": 7}])


def _notes_add(request: Request, state: State, params: Mapping[str, str]) -> Response:
    return json_response(201, {"id": 8, "text": request.json()["text"]})


def _notes_note(request: Request, state: State, params: Mapping[str, str]) -> Response:
    return json_response(200, {"id": int(params["id"])})


def _pong(request: Request, state: State, params: Mapping[str, str]) -> Response:
    return text_response(200, "pong")


def _notes_settings(sandbox: Sandbox) -> dict[str, str]:
    return {"notes_url": sandbox.url + "/notes", "notes_token": NOTES_TOKEN}


NOTES = Service(
    "notes",
    [
        ("notes.list", "GET", r"/notes/index\.php\?/list", _notes_list),
        ("notes.add", "POST", r"/notes/index\.php\?/list", _notes_add),
        ("notes.note", "GET", r"/notes/index\.php\?/note/(?P<id>[0-9]+)", _notes_note),
    ],
    target=_notes_target,
    settings=_notes_settings,
)


def test_an_added_service_is_served_counted_and_faulted(
    fresh: Sandbox, http: requests.Session
) -> None:
    fresh.add_service(NOTES)
    base = f"{fresh.url}/notes/index.php?"
    token = bearer(NOTES_TOKEN)
    assert http.get(f"{base}/list", headers=token).json() == [{"id": 7}]
    assert http.get(f"{base}/list").status_code == 401
    assert http.post(f"{base}/list", json={"text": "hi"}).json() == {"id": 8, "text": "hi"}
    assert http.get(f"{base}/note/7&x=1").json() == {"id": 7}
    refused = http.put(f"{base}/list")
    assert (refused.status_code, refused.headers["Allow"]) == (405, "GET, POST")
    assert http.get(f"{base}/nothing").status_code == 404
    routes = ["notes.list", "notes.list", "notes.add", "notes.note", "notes.list", "unknown"]
    assert [r.route for r in fresh.requests] == routes
    assert (fresh.requests[3].path, fresh.requests[3].query) == ("/notes/index.php", "/note/7&x=1")
    assert (fresh.count("notes"), fresh.count("notes.list", status=401)) == (5, 1)

    fresh.add_faults(Fault(503), route="notes.note")
    fresh.add_faults(Fault.retry_after(1), route="notes")
    assert http.get(f"{base}/note/1").status_code == 503
    assert http.get(f"{fresh.url}/v2/healthcheck").status_code == 200  # not a notes route
    assert http.get(f"{base}/list", headers=token).status_code == 429
    assert http.get(f"{base}/list", headers=token).status_code == 200


def test_an_added_service_brings_its_settings(fresh: Sandbox, http: requests.Session) -> None:
    built_in = {deployment: fresh.settings(deployment) for deployment in DEPLOYMENTS}
    fresh.add_service(NOTES)
    for deployment in DEPLOYMENTS:
        assert fresh.settings(deployment) == built_in[deployment] | _notes_settings(fresh)
        assert fresh.env(deployment)["NOTES_TOKEN"] == NOTES_TOKEN
    settings = fresh.settings()
    listed = http.get(
        f"{settings['notes_url']}/index.php?/list", headers=bearer(settings["notes_token"])
    )
    assert listed.status_code == 200

    def xray_url(sandbox: Sandbox) -> dict[str, str]:
        return {"xray_url": "http://127.0.0.1:9"}

    fresh.add_service(Service("shadow", [("shadow.x", "GET", "/x", _pong)], settings=xray_url))
    with pytest.raises(ValueError, match="service 'shadow' sets 'xray_url', which the stand-in"):
        fresh.settings()  # one value would silently lose


def test_services_added_while_serving_answer_from_the_next_request(
    fresh: Sandbox, http: requests.Session
) -> None:
    note = f"{fresh.url}/notes/index.php?/note/1"
    assert http.get(note).status_code == 404
    failures: list[str] = []
    stop = threading.Event()

    def keep_asking() -> None:
        with requests.Session() as other:
            other.trust_env = False
            while not stop.is_set():
                response = other.get(f"{fresh.url}/v2/healthcheck")
                if response.status_code != 200:
                    failures.append(response.text)

    askers = [threading.Thread(target=keep_asking) for _ in range(4)]
    for asker in askers:
        asker.start()
    try:
        fresh.add_service(NOTES)
        assert http.get(note).status_code == 200
        for n in range(20):
            fresh.add_service(Service(f"svc{n}", [(f"svc{n}.ping", "GET", f"/svc{n}", _pong)]))
            assert http.get(f"{fresh.url}/svc{n}").text == "pong"
    finally:
        stop.set()
        for asker in askers:
            asker.join(timeout=5)
    assert failures == []
    assert fresh.count("zephyr.healthcheck") == fresh.count("zephyr.healthcheck", status=200) > 0
    assert [fresh.count(f"svc{n}", status=200) for n in range(20)] == [1] * 20
    assert [r.route for r in fresh.requests if not r.route.startswith("zephyr")][:2] == [
        "unknown",
        "notes.note",
    ]


def test_a_service_added_before_start_is_served_from_the_first_request(
    http: requests.Session,
) -> None:
    sandbox = Sandbox()
    sandbox.add_service(NOTES)
    with sandbox:
        assert http.get(f"{sandbox.url}/notes/index.php?/note/3").json() == {"id": 3}
        assert sandbox.settings()["notes_url"] == f"{sandbox.url}/notes"
    with Sandbox() as other:  # a service belongs to the sandbox it was added to
        assert http.get(f"{other.url}/notes/index.php?/note/3").status_code == 404
        assert "notes_url" not in other.settings()


def test_a_service_whose_routes_collide_is_refused(fresh: Sandbox, http: requests.Session) -> None:
    fresh.add_service(NOTES)
    with pytest.raises(
        ValueError,
        match=r"cannot add service 'notes': the stand-in already serves "
        r"notes\.add, notes\.list, notes\.note; give the service a prefix of its own",
    ):
        fresh.add_service(NOTES)
    extra = [("xray.extra", "GET", "/extra", _pong)]
    with pytest.raises(ValueError, match=r"'xray'.* xray\.authenticate, xray\.graphql"):
        fresh.add_service(Service("xray", extra))  # count("xray") would count it
    with pytest.raises(ValueError, match="cannot add service 'unknown'"):
        fresh.add_service(Service("unknown", [("unknown.x", "GET", "/extra", _pong)]))
    with pytest.raises(TypeError, match="expected Service"):
        fresh.add_service("notes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no route"):
        fresh.add_faults(Fault(), route="xray.extra")  # nothing of a refused service is kept
    assert http.get(f"{fresh.url}/extra").status_code == 404
    assert fresh.count("unknown") == 1


@pytest.mark.parametrize(
    ("name", "route", "message"),
    [
        ("Notes", ("Notes.x", "GET", "/x"), "lowercase letters"),
        ("notes.v2", ("notes.v2.x", "GET", "/x"), "lowercase letters"),
        ("notes", ("jira.x", "GET", "/x"), "'jira.x' must be dotted under its prefix"),
        ("notes", ("notes.", "GET", "/x"), "'notes.' must be dotted under its prefix"),
        ("notes", ("notes.x", "get", "/x"), "method 'get', not one of GET, POST"),
        ("notes", ("notes.x", "GET", "/x("), "'notes.x' has an invalid path regex"),
    ],
)
def test_service_routes_are_checked_when_made(
    name: str, route: tuple[str, str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        Service(name, [(*route, _pong)])


def test_a_service_needs_routes_with_unique_names_and_handlers() -> None:
    with pytest.raises(ValueError, match="'notes' has no routes"):
        Service("notes", [])
    twice = [("notes.x", "GET", "/x", _pong), ("notes.x", "POST", "/x", _pong)]
    with pytest.raises(ValueError, match=r"more than one route 'notes\.x'"):
        Service("notes", twice)
    with pytest.raises(TypeError, match="no callable handler"):
        Service("notes", [("notes.x", "GET", "/x", "pong")])  # type: ignore[list-item]


def test_built_in_routes_win_over_an_added_service(fresh: Sandbox, http: requests.Session) -> None:
    shadow = Service(
        "shadow",
        [
            ("shadow.auth", "GET", r"/api/v2/authenticate", _pong),
            ("shadow.any", "GET", r"/.*", _pong),
        ],
    )
    fresh.add_service(shadow)
    refused = http.get(f"{fresh.url}/api/v2/authenticate")
    assert (refused.status_code, refused.headers["Allow"]) == (405, "POST")
    assert http.get(f"{fresh.url}/v2/projects").status_code == 401  # Zephyr's, not the shadow's
    assert http.get(f"{fresh.url}/elsewhere").text == "pong"  # no built-in route knows it
    routes = [r.route for r in fresh.requests]
    assert routes == ["xray.authenticate", "zephyr.projects", "shadow.any"]


def test_a_service_whose_target_fails_answers_500(fresh: Sandbox, http: requests.Session) -> None:
    def broken(path: str, query: str) -> str:
        raise RuntimeError("a bug in the service")

    fresh.add_service(Service("broken", [("broken.x", "GET", "/x", _pong)], target=broken))
    assert http.get(f"{fresh.url}/x").status_code == 500
    assert http.get(f"{fresh.url}/v2/healthcheck").status_code == 200  # built-ins never ask it
    assert [r.route for r in fresh.requests] == ["broken", "zephyr.healthcheck"]
    assert fresh.count("broken", status=500) == 1


# unknown paths


@pytest.mark.parametrize("path", ["/", "/jira/rest/api/2/nothing", "/api/v3/authenticate"])
def test_unknown_paths_get_a_404_html_page(
    sandbox: Sandbox, http: requests.Session, path: str
) -> None:
    response = http.get(sandbox.url + path)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<html>" in response.text
    assert sandbox.count("unknown", status=404) == 1


def test_wrong_method_is_405(sandbox: Sandbox, http: requests.Session) -> None:
    response = http.get(f"{sandbox.url}/api/v2/authenticate")
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert sandbox.count("xray.authenticate", status=405) == 1


# faults


def test_faults_answer_the_next_requests_in_order(sandbox: Sandbox, http: requests.Session) -> None:
    sandbox.add_faults(Fault(503), Fault.retry_after(2))
    url = f"{sandbox.url}/v2/healthcheck"
    responses = [http.get(url) for _ in range(3)]
    assert [r.status_code for r in responses] == [503, 429, 200]
    assert responses[1].headers["Retry-After"] == "2"
    assert "Retry-After" not in responses[2].headers
    assert sandbox.count(status=503) == sandbox.count(status=429) == 1


def test_faults_for_a_route_prefix_skip_other_routes(
    sandbox: Sandbox, http: requests.Session
) -> None:
    sandbox.add_faults(Fault(502, body="bad gateway"), route="xray")
    pat = bearer(DEMO.jira_pat)
    other = http.get(f"{sandbox.jira_dc_url}/rest/raven/1.0/api/test", headers=pat)
    assert other.status_code == 200  # "xray" does not match "xraydc.*"
    faulted = http.post(f"{sandbox.url}/api/v2/authenticate", json=XRAY_CREDENTIALS)
    assert (faulted.status_code, faulted.text) == (502, "bad gateway")
    assert login(http, sandbox)
    assert [r.status for r in sandbox.requests] == [200, 502, 200]


def test_html_page_fault(sandbox: Sandbox, http: requests.Session) -> None:
    sandbox.add_faults(Fault.html_page(), route="xray.authenticate")
    response = http.post(f"{sandbox.url}/api/v2/authenticate", json=XRAY_CREDENTIALS)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "<form" in response.text
    with pytest.raises(requests.JSONDecodeError):
        response.json()


def test_dropped_connection(sandbox: Sandbox, http: requests.Session) -> None:
    sandbox.add_faults(Fault.dropped())
    url = f"{sandbox.url}/v2/healthcheck"
    with pytest.raises(requests.ConnectionError):
        http.get(url)
    assert http.get(url).status_code == 200
    assert [r.status for r in sandbox.requests] == [0, 200]
    assert sandbox.connections == 2


def test_slow_fault_times_the_client_out(fresh: Sandbox, http: requests.Session) -> None:
    fresh.add_faults(Fault.slow(0.5))
    url = f"{fresh.url}/v2/healthcheck"
    with pytest.raises(requests.Timeout):
        http.get(url, timeout=0.1)
    assert http.get(url, timeout=2).status_code == 200


def test_delayed_fault_answers_after_the_delay(fresh: Sandbox, http: requests.Session) -> None:
    fresh.add_faults(Fault(504, delay=0.2), Fault.slow(0.1))
    url = f"{fresh.url}/v2/healthcheck"
    started = time.monotonic()
    assert http.get(url, timeout=2).status_code == 504
    assert http.get(url, timeout=2).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_fault_values_are_checked(sandbox: Sandbox) -> None:
    with pytest.raises(ValueError, match="100-599"):
        Fault(status=42)
    with pytest.raises(ValueError, match="delay"):
        Fault(delay=-1)
    with pytest.raises(TypeError, match="Fault"):
        sandbox.add_faults(503)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no route"):
        sandbox.add_faults(Fault(), route="xary")  # a typo must not silently never fire
    sandbox.add_faults(Fault(), route="unknown")
    assert hash(Fault.retry_after(1)) == hash(Fault.retry_after(1))


# observation and lifecycle


def test_one_session_reuses_one_connection(sandbox: Sandbox, http: requests.Session) -> None:
    headers = bearer(DEMO.zephyr_token)
    for _ in range(20):
        assert http.get(f"{sandbox.url}/v2/projects", headers=headers).status_code == 200
    assert sandbox.connections == 1
    assert len({r.connection for r in sandbox.requests}) == 1
    with requests.Session() as other:
        other.get(f"{sandbox.url}/v2/healthcheck")
    assert sandbox.connections == 2
    assert sandbox.count() == sandbox.count("zephyr") == 21


def test_records_hold_no_credentials(sandbox: Sandbox, http: requests.Session) -> None:
    token = login(http, sandbox)
    http.post(f"{sandbox.url}/api/v2/graphql", json={"query": "{ x }"}, headers=bearer(token))
    http.get(f"{sandbox.url}/rest/api/2/myself", auth=(DEMO.jira_email, DEMO.jira_api_token))
    http.get(f"{sandbox.url}/v2/projects?maxResults=1", headers=bearer(DEMO.zephyr_token))
    records = sandbox.requests
    assert all(isinstance(r, Recorded) for r in records)
    text = repr(records)
    for secret in (token, DEMO.xray_client_secret, DEMO.jira_api_token, DEMO.zephyr_token):
        assert secret not in text
    assert [r.auth for r in records] == [None, "bearer", "basic", "bearer"]
    assert records[2].user == DEMO.jira_email
    assert (records[3].path, records[3].query) == ("/v2/projects", "maxResults=1")
    assert records[0].at <= records[1].at <= records[3].at
    records.clear()
    assert len(sandbox.requests) == 4  # a copy was returned


def test_demo_repr_hides_secrets() -> None:
    text = repr(DEMO)
    assert DEMO.xray_client_id in text
    for secret in (DEMO.xray_client_secret, DEMO.jira_pat, DEMO.jira_password, DEMO.zephyr_token):
        assert secret not in text


def test_reset_clears_records_connections_and_faults(
    sandbox: Sandbox, http: requests.Session
) -> None:
    http.get(f"{sandbox.url}/v2/healthcheck")
    sandbox.add_faults(Fault(500), Fault(500))
    assert http.get(f"{sandbox.url}/v2/healthcheck").status_code == 500
    sandbox.reset()
    assert (sandbox.requests, sandbox.connections, sandbox.count()) == ([], 0, 0)
    assert http.get(f"{sandbox.url}/v2/healthcheck").status_code == 200  # second fault gone


def test_settings_point_at_the_sandbox_and_work(sandbox: Sandbox, http: requests.Session) -> None:
    cloud = sandbox.settings()
    assert cloud["xray_url"] == sandbox.url
    assert not sandbox.url.endswith("/")
    assert cloud["zephyr_url"] == sandbox.url + "/v2/"
    assert cloud["xray_deployment"] == cloud["zephyr_deployment"] == "cloud"
    auth = {"client_id": cloud["xray_client_id"], "client_secret": cloud["xray_client_secret"]}
    assert http.post(f"{cloud['xray_url']}/api/v2/authenticate", json=auth).status_code == 200
    projects = http.get(f"{cloud['zephyr_url']}projects", headers=bearer(cloud["zephyr_token"]))
    assert projects.status_code == 200
    me = http.get(
        f"{cloud['jira_url']}/rest/api/3/myself", auth=(cloud["jira_username"], cloud["jira_token"])
    )
    assert me.status_code == 200
    dc = sandbox.settings("datacenter")
    assert dc["jira_url"] == sandbox.jira_dc_url == sandbox.url + "/jira"
    assert not {"xray_url", "xray_client_id", "zephyr_url"} & dc.keys()
    check = http.get(
        f"{dc['jira_url']}/rest/atm/1.0/healthcheck/", headers=bearer(dc["jira_token"])
    )
    assert check.status_code == 200
    assert sandbox.env("datacenter") == {k.upper(): v for k, v in dc.items()}
    assert sandbox.env()["XRAY_CLIENT_ID"] == DEMO.xray_client_id
    with pytest.raises(ValueError, match="deployment"):
        sandbox.settings("server")  # type: ignore[arg-type]


def test_https_with_a_trusted_ca(tmp_path: Path) -> None:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    with Sandbox(ssl_context=context) as sandbox, requests.Session() as http:
        assert sandbox.url.startswith("https://127.0.0.1:")
        http.trust_env = False  # REQUESTS_CA_BUNDLE would otherwise replace Session.verify
        http.verify = str(bundle)
        for _ in range(3):
            response = http.post(f"{sandbox.url}/api/v2/authenticate", json=XRAY_CREDENTIALS)
            assert response.status_code == 200
        assert sandbox.connections == 1
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"{sandbox.url}/v2/healthcheck", verify=True, timeout=5)
        assert http.get(f"{sandbox.url}/v2/healthcheck").status_code == 200
        with pytest.raises(requests.ConnectionError):
            http.get(sandbox.url.replace("https:", "http:") + "/v2/healthcheck", timeout=5)


def test_ipv6_loopback() -> None:
    try:
        sandbox = Sandbox(host="::1").start()
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    with sandbox, requests.Session() as http:
        assert sandbox.url.startswith("http://[::1]:")
        assert http.get(f"{sandbox.url}/v2/healthcheck").status_code == 200


@pytest.mark.parametrize("host", ["0.0.0.0", "10.1.2.3", "example.com", "::"])
def test_only_loopback_hosts(host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        Sandbox(host=host)


def test_stop_releases_the_port_and_is_repeatable(http: requests.Session) -> None:
    sandbox = Sandbox().start()
    url = sandbox.url
    assert http.get(f"{url}/v2/healthcheck").status_code == 200  # leaves a keep-alive connection
    with pytest.raises(RuntimeError):
        sandbox.start()
    sandbox.stop()
    sandbox.stop()
    assert not sandbox.running
    with pytest.raises(RuntimeError):
        sandbox.url  # noqa: B018
    with pytest.raises(requests.ConnectionError):
        http.get(f"{url}/v2/healthcheck", timeout=2)


def test_stop_interrupts_a_delay() -> None:
    sandbox = Sandbox().start()
    sandbox.add_faults(Fault(503, delay=30))
    errors: list[BaseException] = []

    def call() -> None:
        try:
            requests.get(f"{sandbox.url}/v2/healthcheck", timeout=10)
        except requests.RequestException as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + 5
    while sandbox.connections == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.05)
    started = time.monotonic()
    sandbox.stop()
    caller.join(timeout=5)
    assert time.monotonic() - started < 2
    assert len(errors) == 1
    assert isinstance(errors[0], requests.ConnectionError)


# python -m pytest_tm_auth.sandbox


def test_main_prints_exports_and_stops_on_sigterm() -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest_tm_auth.sandbox", "--deployment", "datacenter"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    killer = threading.Timer(15, process.kill)
    killer.start()
    try:
        assert process.stdout is not None
        lines: list[str] = []
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if "to stop" in line:
                break
        exports = dict(
            line.removeprefix("export ").split("=", 1)
            for line in lines
            if line.startswith("export ")
        )
        assert exports["XRAY_DEPLOYMENT"] == "datacenter"
        assert exports["JIRA_TOKEN"] == DEMO.jira_pat
        response = requests.get(
            f"{exports['JIRA_URL']}/rest/api/2/myself",
            headers=bearer(exports["JIRA_TOKEN"]),
            timeout=5,
        )
        assert response.status_code == 200
        if sys.platform == "win32":
            process.terminate()
        else:
            process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0 or sys.platform == "win32"
    finally:
        killer.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_main_refuses_a_non_loopback_host(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--host", "192.0.2.1"]) == 2
    assert "loopback" in capsys.readouterr().err


def test_main_serves_until_stopped(capsys: pytest.CaptureFixture[str]) -> None:
    stop = threading.Event()
    result: list[int] = []
    runner = threading.Thread(target=lambda: result.append(main([], stop=stop)))
    runner.start()
    output = ""
    deadline = time.monotonic() + 5
    while "to stop" not in output and time.monotonic() < deadline:
        time.sleep(0.02)
        output += capsys.readouterr().out
    stop.set()
    runner.join(timeout=5)
    assert result == [0]
    assert f"export XRAY_CLIENT_ID={DEMO.xray_client_id}" in output
    assert "export ZEPHYR_URL=http://127.0.0.1:" in output
