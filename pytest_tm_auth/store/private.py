"""Private per-user files: a folder only its user may enter, a lock beside each file, and
files written whole or not at all.

The remembered tokens' cache file and the index of stored secrets both live so. A folder or
lock that is a symbolic link is refused, never followed: whoever planted it chose where our
writes, our ``chmod`` and the lock's truncation would land.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pytest_tm_auth.store.base import StoreError, never_followed

#: How long a command or run waits for another one that is writing a file before giving up.
LOCK_TIMEOUT = 10.0


def private_directory(directory: Path, *, create: bool) -> bool:
    """Check ``directory`` (making it ``0700`` first when ``create``): refuse a symbolic link
    or a folder another user owns, make our own private. Whether it exists; raises StoreError.

    Checked and changed through a descriptor opened with ``O_NOFOLLOW``: a link swapped in
    after the first look is refused too, and ``chmod`` never reaches its target."""
    if directory.is_symlink():
        raise StoreError(never_followed(directory))
    if create:
        try:
            directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create {directory}: {error.strerror or error}") from None
    elif not directory.exists():
        return False
    if os.name == "nt":  # no modes, no owners to compare, no O_NOFOLLOW
        return True
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENOTDIR) and directory.is_symlink():
            raise StoreError(never_followed(directory)) from None
        raise StoreError(f"cannot use {directory}: {error.strerror or error}") from None
    try:
        status = os.fstat(fd)
        if foreign(status.st_uid):
            raise StoreError(f"{directory} belongs to another user")
        if status.st_mode & 0o077:
            os.fchmod(fd, 0o700)
    except OSError as error:
        raise StoreError(f"cannot use {directory}: {error.strerror or error}") from None
    finally:
        os.close(fd)
    return True


@contextlib.contextmanager
def locked(path: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold ``{path}.lock`` (filelock, ``0600``) around a read, change and write of ``path``, so
    that concurrent commands, runs and xdist workers never lose each other's writes."""
    from filelock import FileLock, Timeout

    lock_path = path.with_name(path.name + ".lock")
    if lock_path.is_symlink():  # filelock before 3.20.1 followed it, and truncated its target
        raise StoreError(f"{lock_path} is a symbolic link, which is never followed: remove it")
    lock = FileLock(str(lock_path), timeout=timeout, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        raise StoreError(f"{path} stayed locked by another run") from None
    except OSError as error:
        raise StoreError(f"cannot lock {lock_path}: {error.strerror or error}") from None
    try:
        yield
    finally:
        lock.release()


def replace_privately(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``data`` as JSON to a new ``0600`` file beside ``path``, then rename it over
    ``path``: a reader sees the old file or the new one, never half of one. Raises OSError."""
    import secrets  # only writers pay for it: a run that only reads never imports it

    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(temporary, flags, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise


def foreign(uid: int) -> bool:
    """Whether ``uid`` is another user's (never on Windows, which has no ``geteuid``)."""
    geteuid = getattr(os, "geteuid", None)
    return geteuid is not None and uid != geteuid()
