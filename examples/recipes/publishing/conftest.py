"""A CI summary of the published results: ``pytest_tm_auth_published`` reads them back.

Publishing is on in this recipe's ``pytest.ini`` (``xray_publish``, ``xray_project``): at
the end of the run the results of the tests marked ``xray`` land once in a new Test
Execution. The hook then reads that execution back from Xray Cloud, through the session the
results went through, and writes a Markdown table of what Xray holds: to the file
``$GITHUB_STEP_SUMMARY`` names on GitHub Actions, else ``tm-auth-summary.md``::

    pytest examples/recipes/publishing --tm-auth-sandbox

On Xray Data Center, read the runs with ``GET rest/raven/1.0/api/testexec/KEY/test``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import requests

from pytest_tm_auth import Provider

FIND = """query($jql: String!) {
  getTestExecutions(jql: $jql, limit: 1) { results { issueId } }
}"""
RUNS = """query($id: String!) {
  getTestExecution(issueId: $id) {
    testRuns(limit: 100) { results { status { name } test { jira(fields: ["key"]) } } }
  }
}"""


def graphql(session: requests.Session, query: str, **variables: str) -> Any:
    answer = session.post("graphql", json={"query": query, "variables": variables})
    answer.raise_for_status()
    return answer.json()["data"]


def pytest_tm_auth_published(provider: Provider, target: Any, session: requests.Session) -> None:
    found = graphql(session, FIND, jql=f"key = {target.key}")["getTestExecutions"]
    issue_id = found["results"][0]["issueId"]
    runs = graphql(session, RUNS, id=issue_id)["getTestExecution"]["testRuns"]["results"]
    lines = [
        f"### {provider.title}: {target.count} results in [{target.key}]({target.url})",
        "",
        "| test | status |",
        "|---|---|",
        *(f"| {run['test']['jira']['key']} | {run['status']['name']} |" for run in runs),
    ]
    summary = Path(os.environ.get("GITHUB_STEP_SUMMARY") or "tm-auth-summary.md")
    with summary.open("a", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
