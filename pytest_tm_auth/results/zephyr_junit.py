"""Zephyr Scale's automation upload of a report file: one request, one new cycle.

Cloud takes JUnit XML itself (``POST {api}/automations/executions/junit``): the report goes
as it is, zipped only when that makes it fit the 10 MB Zephyr Scale takes. Data Center has no
JUnit endpoint: the report's cases become the custom format (:mod:`.zephyr_custom`), uploaded
to ``POST {api}/automation/execution/{projectKey}``, one execution per test case key, its
status the worst of its cases' (as a run's results are). Both are multipart (``file``, and
``testCycle``: the new cycle's name and description) with ``autoCreateTestCases=false``: a
case is found by the key in its name, or by its name, and never made up. Every upload makes
a new cycle, so an upload is never retried once it may have reached Zephyr Scale.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_tm_auth.core.urls import join
from pytest_tm_auth.results.junit import Case, cases
from pytest_tm_auth.results.model import PublishError, worst
from pytest_tm_auth.results.request import answer, long_timeout
from pytest_tm_auth.results.zephyr_custom import (
    CUSTOM_RESULTS,
    UPLOAD_LIMIT,
    UploadTooLarge,
    custom_zip,
    execution,
    upload_parts,
)
from pytest_tm_auth.results.zephyr_payload import uploaded

if TYPE_CHECKING:
    from pytest_tm_auth.core.provider import Target
    from pytest_tm_auth.http.session import ApiSession

TITLE = "Zephyr Scale"
_COPY_BLOCK = 1 << 20


class ReportTooLarge(PublishError):
    """The report, zipped or converted, is over the 10 MB Zephyr Scale takes."""


@dataclass(frozen=True)
class JUnitUpload:
    """The cycle a report makes: its project, name, and the results' environment."""

    project: str
    cycle_name: str
    environment: str | None = None

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
        member = zipfile.ZipInfo(path.name, date_time=(2020, 1, 1, 0, 0, 0))
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
