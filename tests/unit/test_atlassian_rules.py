"""Jira's headers read, OAuth answers read, and one client-credentials token shared."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from pytest_tm_auth.core.errors import AuthError
from pytest_tm_auth.core.provider import Login, Target
from pytest_tm_auth.core.values import Values
from pytest_tm_auth.providers.atlassian import SETTINGS, captcha_login_url, seraph_reasons
from pytest_tm_auth.providers.oauth import Grants, read_answer
from pytest_tm_auth.settings.resolve import Sources, resolve


def test_seraph_reasons_are_read_one_by_one() -> None:
    assert seraph_reasons({"X-Seraph-LoginReason": "OUT, authenticated_failed"}) == {
        "OUT",
        "AUTHENTICATED_FAILED",
    }
    assert seraph_reasons({}) == set()


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            "CAPTCHA_CHALLENGE; login-url=https://jira.example.com/login.jsp",
            "https://jira.example.com/login.jsp",
        ),
        ("CAPTCHA_CHALLENGE", ""),
        ("SOMETHING_ELSE; login-url=https://x", None),
    ],
)
def test_the_captcha_login_url(header: str, expected: str | None) -> None:
    assert captcha_login_url({"X-Authentication-Denied-Reason": header}) == expected


def answer(status: int, body: Any) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(body).encode()
    response.headers["Content-Type"] = "application/json"
    return response


def test_an_answer_gives_the_token_and_its_expiry() -> None:
    issued = read_answer(
        "Jira", "https://t", answer(200, {"access_token": "x.y.z", "expires_in": 60})
    )
    assert issued.value == "x.y.z"


def test_an_answer_without_a_token_names_what_it_held() -> None:
    with pytest.raises(AuthError, match=r"no access_token in the answer \(token_type\)"):
        read_answer("Jira", "https://t", answer(200, {"token_type": "Bearer"}))


def test_an_oauth_error_is_quoted() -> None:
    body = {"error": "invalid_client", "error_description": "Client\nauthentication failed"}
    with pytest.raises(AuthError, match="answered invalid_client: Client authentication failed"):
        read_answer("Jira", "https://t", answer(401, body))


class FakeHttp:
    """Answers every POST with a fresh access token, counting them."""

    def __init__(self) -> None:
        self.posts = 0

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        self.posts += 1
        return answer(200, {"access_token": f"token-{self.posts}", "expires_in": 3600})


class Named:
    def __init__(self, name: str) -> None:
        self.name = name
        self.title = name


def values() -> Values:
    environ = {"JIRA_CLIENT_ID": "demo-id", "JIRA_CLIENT_SECRET": "demo-secret-not-real"}
    return resolve(list(SETTINGS), Sources(environ=environ))


def login(name: str, http: FakeHttp) -> Login:
    target = Target("datacenter", "https://jira", "https://jira/rest/api/2/")
    return Login(Named(name), target, values(), http)  # type: ignore[arg-type]


def test_one_token_request_for_every_provider_and_a_fresh_one_for_a_renewal() -> None:
    grants, http = Grants(), FakeHttp()
    first = [grants.token(login(name, http), "https://t", cloud=False) for name in "xzj"]
    assert http.posts == 1
    assert {str(token.value) for token in first} == {"token-1"}
    assert [token.provider for token in first] == ["x", "z", "j"]
    renewed = grants.token(login("x", http), "https://t", cloud=False)  # x asks again: renewal
    assert http.posts == 2
    assert str(renewed.value) == "token-2"
    assert str(grants.token(login("z", http), "https://t", cloud=False).value) == "token-2"
    assert http.posts == 2


def test_a_derived_failure_keeps_every_mark() -> None:
    """A 403 CAPTCHA refusal told another way stays a refusal of the credentials."""
    refused = AuthError(
        "Jira", "http://127.0.0.1/myself", "HTTP 403", status=403, credentials_refused=True
    )
    told = refused.derived(provider="Xray", problem="not tried", fix="log in once")
    assert (told.provider, told.url, told.problem, told.fix) == (
        "Xray",
        "http://127.0.0.1/myself",
        "not tried",
        "log in once",
    )
    assert (told.status, told.credentials_refused) == (403, True)
    assert str(told) == "Xray login failed at http://127.0.0.1/myself: not tried — log in once"
