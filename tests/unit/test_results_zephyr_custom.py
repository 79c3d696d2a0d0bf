"""Zephyr Scale's custom format: what the stand-in (and the services) read back."""

from __future__ import annotations

import io
import json
import random
import zipfile

import pytest

from pytest_tm_auth.results.model import OUTCOMES
from pytest_tm_auth.results.zephyr_automation import (
    CUSTOM_RESULTS,
    MEMBER,
    UPLOAD_LIMIT,
    UploadTooLarge,
    custom_zip,
    execution,
)


def test_every_outcome_has_a_result_name() -> None:
    assert set(CUSTOM_RESULTS) == set(OUTCOMES)


def test_the_zip_holds_one_json_document() -> None:
    data = custom_zip([execution("DEMO-T1", "error", "test_a.py::test_x")])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == [MEMBER]
        document = json.loads(archive.read(MEMBER))
    assert document == {
        "version": 1,
        "executions": [
            {"source": "test_a.py::test_x", "result": "Failed", "testCase": {"key": "DEMO-T1"}}
        ],
    }


def test_the_same_executions_make_the_same_bytes() -> None:
    executions = [execution(f"DEMO-T{n}", "passed", f"t.py::test_{n}") for n in range(1, 50)]
    assert custom_zip(executions) == custom_zip(list(executions))


def test_a_file_over_ten_megabytes_is_refused() -> None:
    rng = random.Random(7)  # random text: it does not compress below the limit
    big = [execution("DEMO-T1", "passed", rng.randbytes(2048).hex()) for _ in range(5200)]
    with pytest.raises(UploadTooLarge, match="over Zephyr Scale's 10 MB"):
        custom_zip(big)
    assert len(custom_zip(big[:100])) < UPLOAD_LIMIT
