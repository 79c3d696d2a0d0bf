"""Plain data across boundaries: every value round-trips, and nothing malformed decodes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pytest_tm_auth.core.codec import (
    decode_failure,
    decode_target,
    decode_token,
    encode_failure,
    encode_target,
    encode_token,
)
from pytest_tm_auth.core.errors import AuthError, ConfigError, MissingCredentials, TmAuthError
from pytest_tm_auth.core.provider import Target
from pytest_tm_auth.core.token import Token


@pytest.mark.parametrize(
    "token",
    [
        Token.bearer("xray", "eyJ.fake.jwt", 1_900_000_000.0),
        Token.bearer("zephyr", "static-not-real", static=True),
        Token.basic("jira", "demo@example.com", "demo-password-not-real"),
    ],
    ids=["expiring", "static", "basic"],
)
def test_a_token_round_trips_through_json(token: Token) -> None:
    data = json.loads(json.dumps(encode_token(token)))

    assert decode_token(data, token.provider) == token


@pytest.mark.parametrize(
    "data",
    [
        None,
        "eyJ",
        {},
        {"value": "", "scheme": "Bearer"},
        {"value": "v", "scheme": 3},
        {"value": "v", "scheme": "Bearer", "expires_at": "soon"},
        {"value": "v", "scheme": "Bearer", "expires_at": True},
        {"value": "v", "scheme": "Bearer", "expires_at": float("nan")},
        {"value": "v", "scheme": "Bearer", "expires_at": float("inf")},
        {"value": "v", "scheme": "Bearer", "expires_at": 10**400},
    ],
)
def test_malformed_token_data_decodes_to_nothing(data: Any) -> None:
    assert decode_token(data, "xray") is None


def test_only_true_makes_a_token_static() -> None:
    decoded = decode_token({"value": "v", "scheme": "Bearer", "static": "yes"}, "xray")
    assert decoded is not None
    assert decoded.static is False


def test_a_target_round_trips_and_malformed_ones_decode_to_nothing() -> None:
    target = Target("datacenter", "https://jira.invalid", "https://jira.invalid/rest/", ("a",))

    assert decode_target(json.loads(json.dumps(encode_target(target)))) == target
    for bad in (None, [], ["cloud", "u", "a"], ["cloud", 1, "a", []], ["c", "u", "a", "x"]):
        assert decode_target(bad) is None


@pytest.mark.parametrize(
    "failure",
    [
        AuthError("Xray", "https://x.invalid", "HTTP 401: no", fix="check it", status=401),
        MissingCredentials("Xray credentials not set"),
        ConfigError("Invalid value"),
        TmAuthError("a hook failed"),
        AuthError("Jira", "https://j.invalid", "HTTP 403", status=403, credentials_refused=True),
    ],
    ids=["auth", "missing", "config", "other", "captcha"],
)
def test_a_failure_round_trips_with_its_kind_and_message(failure: TmAuthError) -> None:
    data = json.loads(json.dumps(encode_failure(failure, str)))

    decoded = decode_failure(data)

    assert type(decoded) is type(failure)
    assert str(decoded) == str(failure)
    if isinstance(failure, AuthError):
        assert isinstance(decoded, AuthError)
        marks = ("status", "fix", "problem", "provider", "url", "credentials_refused")
        assert [getattr(decoded, mark) for mark in marks] == [
            getattr(failure, mark) for mark in marks
        ]


def test_an_encoded_failure_is_scrubbed() -> None:
    failure = AuthError("Xray", "https://x.invalid", "said demo-secret-not-real", status=401)

    data = encode_failure(failure, lambda text: text.replace("demo-secret-not-real", "***"))

    assert "demo-secret-not-real" not in json.dumps(data)


def test_a_failure_of_unknown_shape_is_still_a_failure_with_its_message() -> None:
    decoded = decode_failure({"kind": "auth", "message": "m", "status": "401"})
    assert isinstance(decoded, AuthError)
    assert decoded.status is None
    assert str(decoded) == "m"
    assert str(decode_failure({})) == ""
