"""Use the Xray token in a request of your own: any HTTP client, ``Authorization: Bearer``.

``tm_auth.target("xray").api_url`` is the API base the token belongs to (Cloud's GraphQL
lives at ``{api_url}graphql``); the session fixtures are simpler when they fit.
"""

from __future__ import annotations

import requests

from pytest_tm_auth import TmAuth

QUERY = '{ getTests(jql: "project = DEMO", limit: 10) { total results { jira(fields: ["key"]) } } }'


def test_graphql_lists_tests(xray_token: str, tm_auth: TmAuth) -> None:
    url = tm_auth.target("xray").api_url + "graphql"

    response = requests.post(
        url,
        json={"query": QUERY},
        headers={"Authorization": f"Bearer {xray_token}"},
        timeout=10,
    )

    assert response.status_code == 200, response.text
    tests = response.json()["data"]["getTests"]
    assert tests["total"] >= 1
    assert tests["results"][0]["jira"]["key"] == "DEMO-1"
