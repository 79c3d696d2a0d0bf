"""The broker's channel: ``multiprocessing.connection`` with a random key, local only.

On POSIX the listener is a Unix socket in a private directory (``0700``, from
``tempfile.mkdtemp``, named with the controller's process id; in ``/tmp`` where the
temporary directory's path is too long for a socket's address), removed with everything in
it when the broker stops, or by the next broker when its controller was killed first (its
process gone and its socket refusing connections); on Windows a
named pipe with a random name. Each side proves it knows the key (an HMAC challenge)
before any message; messages are JSON (the codec's plain data; never pickle), and nothing is
written to disk but the socket itself. Each request opens its own connection, so threads
never share one; a lease lives as long as its connection, so a worker that dies releases
it with its socket.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import socket
import sys
import tempfile
import threading
from collections.abc import Callable
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client, Connection, Listener
from typing import Any

#: The largest message accepted (a token, a target, a worded failure fit easily).
MAX_BYTES = 1 << 20
#: The longest Unix socket path every POSIX system takes (macOS: 104 bytes with the NUL).
MAX_SOCKET_PATH = 103
#: A request or answer: plain data only.
Message = dict[str, Any]


def _address() -> tuple[str | None, str, str | None]:
    """(address, family, private directory) for a new listener."""
    if sys.platform == "win32":
        return rf"\\.\pipe\tm-auth-{secrets.token_hex(16)}", "AF_PIPE", None
    prefix = f"tm-auth-{os.getpid()}-"
    parent = tempfile.gettempdir()
    if len(os.fsencode(os.path.join(parent, prefix + "x" * 8, "broker"))) > MAX_SOCKET_PATH:
        parent = "/tmp"  # a long TMPDIR (a CI workspace's) cannot hold a socket's address
    _remove_stale(parent)
    directory = tempfile.mkdtemp(prefix=prefix, dir=parent)  # 0700: only this user
    return os.path.join(directory, "broker"), "AF_UNIX", directory


def _remove_stale(parent: str) -> None:
    """Remove this user's broker directories whose controller was killed before it could
    (SIGKILL, a power cut): its process is gone and nothing answers on its socket."""
    with contextlib.suppress(OSError), os.scandir(parent) as entries:
        for entry in entries:
            found = re.fullmatch(r"tm-auth-(\d+)-\w+", entry.name)
            if found is None or _alive(int(found[1])):
                continue
            with contextlib.suppress(OSError):
                mine = entry.is_dir(follow_symlinks=False)
                mine = mine and entry.stat(follow_symlinks=False).st_uid == os.geteuid()
                if mine and not _listening(entry.path):
                    shutil.rmtree(entry.path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):  # another user's process, or no process id
        return pid > 0
    return True


def _listening(directory: str) -> bool:
    """Whether a broker still answers in ``directory`` (a process id can be reused, and
    another PID namespace may share the temporary directory)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1)
        try:
            probe.connect(os.path.join(directory, "broker"))
        except OSError:  # refused, or no socket at all
            return False
    return True


class Server:
    """A listener that hands each authenticated connection to ``handle`` in its own thread."""

    def __init__(self, handle: Callable[[Connection], None]) -> None:
        self.key = secrets.token_bytes(32)
        address, self.family, self._directory = _address()
        self._listener = Listener(address, self.family, authkey=self.key)
        self.address = str(self._listener.address)
        self._handle = handle
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="tm-auth-broker", daemon=True)
        self._thread.start()

    @property
    def directory(self) -> str | None:
        """The private directory of the socket (``None`` on Windows)."""
        return self._directory

    def contact(self) -> Message:
        """What a worker needs to reach the broker, as plain data."""
        return {"address": self.address, "family": self.family, "key": self.key.hex()}

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection = self._listener.accept()
            except (OSError, EOFError, AuthenticationError):  # e.g. a client with a wrong key
                continue
            if self._closed.is_set():
                connection.close()
                break
            threading.Thread(
                target=self._handle, args=(connection,), name="tm-auth-lease", daemon=True
            ).start()

    def close(self) -> None:
        """Stop accepting, and remove the socket and its directory."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._wake()
        self._thread.join(timeout=5)
        self._listener.close()
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)

    def _wake(self) -> None:
        """Wake the accepting thread, which nothing else interrupts, without a handshake
        that could wait on it: a bare connection it finds closed at once."""
        with contextlib.suppress(OSError, EOFError, AuthenticationError):
            if self.family == "AF_UNIX":
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as bare:
                    bare.settimeout(5)
                    bare.connect(self.address)
            else:
                Client(self.address, self.family, authkey=self.key).close()


def connect(contact: Message) -> Connection:
    """A connection to the broker ``contact`` describes; ``OSError`` when unreachable."""
    try:
        key = bytes.fromhex(str(contact["key"]))
        return Client(str(contact["address"]), str(contact["family"]), authkey=key)
    except (KeyError, ValueError, EOFError, AuthenticationError) as exc:
        raise OSError(f"the tm-auth broker cannot be reached: {type(exc).__name__}") from None


def send(connection: Connection, message: Message) -> None:
    connection.send_bytes(json.dumps(message).encode())


def receive(connection: Connection) -> Message | None:
    """The next message, or ``None`` for anything but a JSON object; ``EOFError`` at the end."""
    try:
        message = json.loads(connection.recv_bytes(MAX_BYTES))
    except (ValueError, UnicodeDecodeError):
        return None
    return message if isinstance(message, dict) else None
