"""The secrets come from the vault; everything else from the usual settings."""

from __future__ import annotations

import requests

from pytest_tm_auth import TmAuth


def test_jira_token_comes_from_the_vault(jira_session: requests.Session, tm_auth: TmAuth) -> None:
    response = jira_session.get("myself")

    assert response.status_code == 200, response.text
    values = tm_auth.state("jira").values
    assert values.source("jira_token").kind == "hook"
    assert values.source("jira_url").kind != "hook"  # not in the vault: the settings decide


def test_xray_secret_comes_from_the_vault(xray_token: str, tm_auth: TmAuth) -> None:
    assert xray_token
    assert tm_auth.state("xray").values.source("xray_client_secret").kind == "hook"


def test_zephyr_is_not_in_the_vault(zephyr_session: requests.Session, tm_auth: TmAuth) -> None:
    response = zephyr_session.get("projects", params={"maxResults": 1})

    assert response.status_code == 200, response.text
    assert tm_auth.state("zephyr").values.source("zephyr_token").kind != "hook"
