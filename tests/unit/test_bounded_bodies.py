"""Login answers are read only up to a limit, inflated through urllib3's bounded decoders."""

from __future__ import annotations

import io

import requests
from urllib3 import HTTPResponse

from pytest_tm_auth.http.bounded import ANSWER_LIMIT, ERROR_BODY_LIMIT, read_bounded
from pytest_tm_auth.sandbox import Fault


def streamed(status: int, body: bytes, **headers: str) -> tuple[requests.Response, io.BytesIO]:
    source = io.BytesIO(body)
    raw = HTTPResponse(body=source, headers=headers, status=status, preload_content=False)
    response = requests.Response()
    response.status_code, response.raw = status, raw
    response.headers = requests.structures.CaseInsensitiveDict(headers)
    return response, source


def test_a_10_mb_error_body_is_read_only_a_few_kib() -> None:
    response, source = streamed(500, b"x" * (10 << 20))

    read_bounded(response)

    assert len(response.content) == ERROR_BODY_LIMIT
    assert source.tell() <= 64 * 1024  # what was taken off the wire, buffers included


def test_a_gzip_bomb_is_inflated_only_a_few_kib() -> None:
    bomb = Fault.gzip_bomb(200).payload
    response, source = streamed(500, bomb, **{"Content-Encoding": "gzip"})

    read_bounded(response)

    assert response.content == bytes(ERROR_BODY_LIMIT)
    assert source.tell() < len(bomb)


def test_a_successful_answer_has_a_larger_limit_and_a_small_one_is_read_whole() -> None:
    big, _ = streamed(200, b"y" * (ANSWER_LIMIT * 3))
    small, _ = streamed(200, b'"a-token"')

    read_bounded(big)
    read_bounded(small)

    assert len(big.content) == ANSWER_LIMIT
    assert small.json() == "a-token"
