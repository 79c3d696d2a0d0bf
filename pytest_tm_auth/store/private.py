"""Writing a file only its user can read, whole or not at all.

The remembered tokens' cache file and the index of stored secrets are both written so.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any


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
