"""Tests use the custom provider through its own fixture, or by name through ``tm_auth``."""

from __future__ import annotations

import requests

from pytest_tm_auth import TmAuth


def test_current_user(testrail_session: requests.Session) -> None:
    response = testrail_session.get("index.php?/api/v2/get_current_user")

    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is True


def test_get_case(testrail_session: requests.Session) -> None:
    response = testrail_session.get("index.php?/api/v2/get_case/1")

    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Demo case"


def test_registry_knows_it_by_name(tm_auth: TmAuth) -> None:
    token = tm_auth.token("testrail")

    assert "testrail" in tm_auth.names
    assert token.scheme == "Basic"
    assert str(token.value) not in repr(token)
