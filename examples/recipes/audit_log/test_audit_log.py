"""Two providers used, two audit lines: later requests reuse the logins and log nothing."""

from __future__ import annotations

import pytest
import requests


def test_each_login_is_audited_once(
    xray_session: requests.Session, jira_session: requests.Session, caplog: pytest.LogCaptureFixture
) -> None:
    assert xray_session.post("graphql", json={"query": "{ getTests(limit: 1) { total } }"}).ok
    assert jira_session.get("myself").ok

    records = caplog.get_records("setup") + caplog.get_records("call")
    audit = [record.getMessage() for record in records if record.name == "audit"]
    assert [line.split(" (")[0] for line in audit] == ["logged in to Xray", "logged in to Jira"]
    assert "Bearer token, expires" in audit[0]
    assert "Basic token, no expiry" in audit[1]
