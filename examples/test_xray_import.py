"""Report a result to Xray: ``import/execution`` creates a Test Execution and returns its key."""

from __future__ import annotations

import requests


def test_result_is_imported_as_a_test_execution(xray_session: requests.Session) -> None:
    result = {
        "info": {
            "project": "DEMO",
            "summary": "Nightly regression",
            "description": "Run by pytest",
        },
        "tests": [{"testKey": "DEMO-1", "status": "PASSED", "comment": "green"}],
    }

    response = xray_session.post("import/execution", json=result)

    assert response.status_code == 200, response.text
    execution = response.json()
    assert execution["key"].startswith("DEMO-")
