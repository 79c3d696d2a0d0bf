"""Zephyr Scale's automation uploads: a whole run's results in one file, one request, one
new cycle.

Every upload is multipart (``file``, at most 10 MB, and ``testCycle``: the new cycle's name
and description) and makes a new cycle, so it is never retried once it may have reached
Zephyr Scale. Both deployments take the custom format, a zipped JSON file; a run's own
results use it on Cloud only (``POST /v2/automations/executions/custom``; Data Center's new
test run is ``POST testrun``, which keeps each result's comment and files). The zip is built
the same way from the same executions every time (fixed member name and date), so a replay
sends the very bytes a first attempt sent.

``pytest-tm-auth publish zephyr FILE.xml`` sends Cloud the JUnit XML itself (``POST
{api}/automations/executions/junit``), zipped only when that makes it fit. Data Center has
no JUnit endpoint: the report's cases become the custom format, uploaded to ``POST
{api}/automation/execution/{projectKey}``, one execution per test case key, its status the
worst of its cases' (as a run's results are). Both with ``autoCreateTestCases=false``: a
case is found by the key in its name, or by its name, and never made up.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from pytest_tm_auth.core.urls import join
from pytest_tm_auth.core.values import Record
from pytest_tm_auth.results.model import PublishError, worst
from pytest_tm_auth.results.request import answer, long_timeout
from pytest_tm_auth.results.zephyr_payload import STATUSES, uploaded

if TYPE_CHECKING:
    from pytest_tm_auth.core.provider import Target
    from pytest_tm_auth.http.session import ApiSession
    from pytest_tm_auth.results.junit import Case

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
TITLE = "Zephyr Scale"
#: Bytes of a report read at a time while it is zipped.
_COPY_BLOCK = 1 << 20


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


class ReportTooLarge(PublishError):
    """The report, zipped or converted, is over the 10 MB Zephyr Scale takes."""


class JUnitUpload(Record):
    """The cycle a report makes: its project, name, and the results' environment."""

    __slots__ = ("project", "cycle_name", "environment")  # noqa: RUF023  # the fields' order

    project: Final[str]
    cycle_name: Final[str]
    environment: Final[str | None]

    def __init__(self, project: str, cycle_name: str, environment: str | None = None) -> None:
        self.project = project
        self.cycle_name = cycle_name
        self.environment = environment

    def test_cycle(self, path: Path) -> dict[str, str]:
        """The ``testCycle`` part. The upload has no field for an environment: the cycle's
        description names it."""
        description = f"Results of {path.name}, published by pytest-tm-auth"
        if self.environment:
            description += f"; environment: {self.environment}"
        return {"name": self.cycle_name, "description": description}


def upload_report(
    session: ApiSession, target: Target, path: Path, settings: JUnitUpload
) -> tuple[str, str]:
    """Upload the report at ``path`` into a new cycle: its key and its URL (or ``""``)."""
    if target.deployment == "cloud":
        url = join(target.api_url, "automations/executions/junit")
        params = {"projectKey": settings.project, "autoCreateTestCases": "false"}
        file = fitted(path)
    else:
        url = join(target.api_url, f"automation/execution/{settings.project}")
        params = {"autoCreateTestCases": "false"}
        file = (f"{path.stem}.zip", converted(path), "application/zip")
    parts = upload_parts(file, settings.test_cycle(path))
    timeout = long_timeout(session)
    doing = f"uploading {path.name} into a new cycle in {settings.project}"
    text = answer(
        session, "POST", url, doing, params=params, files=parts, timeout=timeout, title=TITLE
    )
    return uploaded(
        text or "", "look in Zephyr Scale before uploading again", project=settings.project
    )


def fitted(path: Path) -> tuple[str, bytes, str]:
    """The multipart ``file``: the report as it is, or zipped when it is over 10 MB."""
    if path.stat().st_size <= UPLOAD_LIMIT:
        return path.name, path.read_bytes(), "text/xml"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        member = zipfile.ZipInfo(path.name, date_time=_STAMP)
        member.compress_type = zipfile.ZIP_DEFLATED
        with path.open("rb") as source, archive.open(member, "w") as zipped:
            while block := source.read(_COPY_BLOCK):
                zipped.write(block)
                if buffer.tell() > UPLOAD_LIMIT:
                    raise ReportTooLarge(_too_large(path, "zipped"))
    if buffer.tell() > UPLOAD_LIMIT:
        raise ReportTooLarge(_too_large(path, "zipped"))
    return f"{path.stem}.zip", buffer.getvalue(), "application/zip"


def converted(path: Path) -> bytes:
    """Data Center's ``file``: the report's cases in the custom format, zipped; the cases
    of one test case key (a parametrized test, a name twice) are one execution."""
    # Here, not at the top: a run's Cloud upload imports this module and reads no XML.
    from pytest_tm_auth.results.junit import cases

    order: list[Case | str] = []  # a case found by its name, or a key at its first case
    keyed: dict[str, list[Case]] = {}
    for case in cases(path):
        key = case.zephyr_key
        if key is None:
            order.append(case)
            continue
        if key not in keyed:
            order.append(key)
        keyed.setdefault(key, []).append(case)
    executions = [
        _keyed(item, keyed[item]) if isinstance(item, str) else _execution(item) for item in order
    ]
    try:
        return custom_zip(executions)
    except UploadTooLarge:
        raise ReportTooLarge(_too_large(path, "in Zephyr Scale's custom format")) from None


def _source(case: Case) -> str:
    return f"{case.classname}.{case.name}" if case.classname else case.name


def _keyed(key: str, found: list[Case]) -> dict[str, Any]:
    """One test case key's execution: the worst outcome of its cases, the first one's
    source (the first with that outcome)."""
    outcome = worst(case.outcome for case in found)
    first = next(case for case in found if case.outcome == outcome)
    return execution(key, outcome, _source(first))


def _execution(case: Case) -> dict[str, Any]:
    source = _source(case)
    return {
        "source": source,
        "result": CUSTOM_RESULTS[case.outcome],
        "testCase": {"name": case.name},
    }


def _too_large(path: Path, how: str) -> str:
    return (
        f"the report {path} is over the {UPLOAD_LIMIT >> 20} MB Zephyr Scale takes, even "
        f"{how}: split it into several reports"
    )
