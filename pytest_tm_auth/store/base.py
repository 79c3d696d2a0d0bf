"""What a place for remembered tokens must do, the error it raises when it cannot, and
where the per-user files live."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

#: Bumped when the entries change meaning, so old entries are never misread.
FORMAT = 1
#: The keyring service name, and the cache directory's name.
NAME = "pytest-tm-auth"


class StoreError(Exception):
    """The store cannot be used now; the message says why (no secret in it)."""


Entry = dict[str, Any]


def never_followed(path: Path) -> str:
    """Why a per-user folder or lock that is a symbolic link is refused: whoever planted it
    chose where our writes, our ``chmod`` and a lock's truncation would land."""
    return (
        f"{path} is a symbolic link, which is never followed: remove it (a private folder is "
        "made in its place), or point the XDG variable at the real folder"
    )


class TokenStore(Protocol):
    """Where remembered tokens live. ``where`` names it in warnings."""

    where: str

    def get(self, key: str) -> Entry | None:
        """The entry filed under ``key``, or ``None``; raises :class:`StoreError`."""
        ...

    def put(self, key: str, entry: Entry) -> None:
        """File ``entry`` under ``key``, replacing any older one; raises :class:`StoreError`."""
        ...

    def forget(self, keys: Iterable[str]) -> None:
        """Forget ``keys`` (the file store forgets everything); raises :class:`StoreError`."""
        ...


def user_directory(environ: Mapping[str, str], xdg: str, windows: str, default: str) -> Path:
    """``${xdg}/pytest-tm-auth`` (an absolute one), else Windows' ``%{windows}%``, else
    ``~/{default}/pytest-tm-auth``: the XDG base directories, as every Linux tool reads them."""
    base = environ.get(xdg, "")
    if not os.path.isabs(base):
        native = environ.get(windows, "") if os.name == "nt" else ""
        base = native if os.path.isabs(native) else str(Path.home() / default)
    return Path(base) / NAME


def config_directory(environ: Mapping[str, str]) -> Path:
    """``$XDG_CONFIG_HOME/pytest-tm-auth`` (an absolute one), else ``~/.config/pytest-tm-auth``:
    where ``pytest-tm-auth login`` keeps its index, made by the first login that stores one."""
    return user_directory(environ, "XDG_CONFIG_HOME", "APPDATA", ".config")
