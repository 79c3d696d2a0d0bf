"""Read a Zephyr Scale test case: the session knows the API base and sends the token."""

from __future__ import annotations

import requests


def test_demo_case_is_readable(zephyr_session: requests.Session) -> None:
    response = zephyr_session.get("testcases/DEMO-T1")

    assert response.status_code == 200
    case = response.json()
    assert case["key"] == "DEMO-T1"
    assert case["name"] == "Demo test case 1"
    assert case["project"]["id"] == 10000


def test_unknown_case_is_a_404_not_a_login_problem(zephyr_session: requests.Session) -> None:
    response = zephyr_session.get("testcases/DEMO-T999")

    assert response.status_code == 404
