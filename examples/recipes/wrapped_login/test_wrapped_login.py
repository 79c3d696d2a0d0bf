"""Every request the sessions send carries the header the conftest adds."""

from __future__ import annotations

import requests


def test_xray_requests_carry_the_header(xray_session: requests.Session) -> None:
    response = xray_session.post("graphql", json={"query": "{ getTests(limit: 1) { total } }"})

    assert response.status_code == 200, response.text
    assert response.request.headers["X-Request-Source"] == "pytest"


def test_jira_requests_carry_the_header(jira_session: requests.Session) -> None:
    response = jira_session.get("myself")

    assert response.status_code == 200, response.text
    assert response.request.headers["X-Request-Source"] == "pytest"
