"""The broker's channel: authenticated, JSON only, and gone without a trace when closed."""

from __future__ import annotations

import os
import sys
import threading
from multiprocessing.connection import Connection

import pytest

from pytest_tm_auth.run.xdist.channel import Server, connect, receive, send


def echo(connection: Connection) -> None:
    with connection:
        message = receive(connection)
        send(connection, {"echo": message})


def test_a_request_gets_its_answer_over_the_private_socket() -> None:
    server = Server(echo)
    try:
        with connect(server.contact()) as connection:
            send(connection, {"provider": "xray"})
            assert receive(connection) == {"echo": {"provider": "xray"}}
    finally:
        server.close()


@pytest.mark.skipif(sys.platform == "win32", reason="a named pipe has no directory")
def test_the_socket_lives_in_a_private_directory_removed_at_close() -> None:
    server = Server(echo)
    directory = server.directory
    assert directory is not None
    assert os.stat(directory).st_mode & 0o777 == 0o700
    assert os.path.exists(server.address)

    server.close()
    server.close()  # twice is harmless

    assert not os.path.exists(directory)


def test_a_client_without_the_key_is_refused() -> None:
    served = threading.Event()
    server = Server(lambda connection: served.set())
    try:
        wrong = server.contact() | {"key": "00" * 32}
        with pytest.raises(OSError, match="cannot be reached"):
            connect(wrong)
        with connect(server.contact()) as connection:  # the server still serves others
            send(connection, {})
        assert served.wait(timeout=10)
    finally:
        server.close()


def test_a_closed_broker_cannot_be_reached() -> None:
    server = Server(echo)
    contact = server.contact()
    server.close()

    with pytest.raises(OSError, match=r"No such file|cannot be reached|Errno"):
        connect(contact)


def test_anything_but_a_json_object_reads_as_nothing() -> None:
    answers: list[object] = []

    def read(connection: Connection) -> None:
        with connection:
            answers.append(receive(connection))
            answers.append(receive(connection))

    server = Server(read)
    try:
        with connect(server.contact()) as connection:
            connection.send_bytes(b"\x80\x04not json")
            connection.send_bytes(b"[1, 2]")
        for _ in range(100):  # bounded: the handler thread finishes at once
            if len(answers) == 2:
                break
            threading.Event().wait(0.05)
    finally:
        server.close()
    assert answers == [None, None]
