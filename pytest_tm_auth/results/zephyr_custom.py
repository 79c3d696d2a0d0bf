"""Zephyr Scale's custom automation format: a whole run's results in one zipped JSON file.

Both deployments take it in one upload that makes a new cycle (Cloud: ``POST
/v2/automations/executions/custom``; Data Center: ``POST .../automation/execution/{project}``),
with the file as the multipart part ``file``, at most 10 MB. A run's own results use it on
Cloud only (a new cycle; Data Center's new test run is ``POST testrun``, which keeps each
result's comment and files); ``pytest-tm-auth publish zephyr FILE.xml`` on Data Center only
(Cloud takes the report itself). The zip is built the same way from the same executions
every time (fixed member name and date), so a replay sends the very bytes a first attempt
sent.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

from pytest_tm_auth.results.zephyr_payload import STATUSES

#: The largest file either deployment takes.
UPLOAD_LIMIT = 10 * 1024 * 1024
#: The format's result name for each status name a run sends.
RESULTS = {
    "Pass": "Passed",
    "Fail": "Failed",
    "Not Executed": "Not Executed",
    "Blocked": "Blocked",
    "In Progress": "In Progress",
}
#: The format's result names, for each pytest outcome: through the run's status names, so a
#: report's upload converted to this format (Data Center's) and a run's say the same of one
#: outcome (Cloud takes a report's JUnit XML itself, and reads its outcomes its own way).
CUSTOM_RESULTS = {outcome: RESULTS[status] for outcome, status in STATUSES.items()}
#: The one member of the zip, and its date (a zip needs one; a fixed one keeps it stable).
MEMBER = "results.json"
_STAMP = (2020, 1, 1, 0, 0, 0)


class UploadTooLarge(ValueError):
    """The zipped file is over :data:`UPLOAD_LIMIT`; the message says by how much."""


def execution(key: str, outcome: str, source: str) -> dict[str, Any]:
    """One execution of the format: a test case by key, its result, and where it came from."""
    return {"source": source, "result": CUSTOM_RESULTS[outcome], "testCase": {"key": key}}


def upload_parts(file: tuple[str, bytes, str], cycle: Mapping[str, Any]) -> dict[str, Any]:
    """An upload's multipart parts (requests' ``files=``): ``file`` as (name, data, content
    type), and ``testCycle``, the new cycle's JSON (name, description...)."""
    return {"file": file, "testCycle": (None, json.dumps(dict(cycle)), "application/json")}


def custom_zip(executions: Sequence[Mapping[str, Any]]) -> bytes:
    """The upload's ``file``: a zip holding ``{"version": 1, "executions": [...]}``.

    Raises :class:`UploadTooLarge` when the zip is over the services' 10 MB.
    """
    document = json.dumps(
        {"version": 1, "executions": list(executions)}, ensure_ascii=False, separators=(",", ":")
    ).encode("utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(MEMBER, date_time=_STAMP), document, zipfile.ZIP_DEFLATED)
    data = buffer.getvalue()
    if len(data) > UPLOAD_LIMIT:
        over = len(data) - UPLOAD_LIMIT
        raise UploadTooLarge(
            f"the results file is {len(data):,} bytes zipped, {over:,} over Zephyr Scale's "
            f"{UPLOAD_LIMIT >> 20} MB"
        )
    return data
