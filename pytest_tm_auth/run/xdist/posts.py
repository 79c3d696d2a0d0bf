"""What a worker posts to the controller before its tests run, kept by the broker.

xdist sends the controller a worker's reports, not what the worker collected: a worker that
dies before a test's first report leaves the controller only the test's node id. A worker
posts plain data it alone knows (the results' links of the tests it collected) through the
broker, in messages within the channel's size, and waits until the broker has each; the
controller reads what was posted by kind. A worker that cannot reach the broker posts
nothing, and says so to its caller.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from pytest_tm_auth.run.plugin_base import WHOLE
from pytest_tm_auth.run.xdist.channel import MAX_BYTES, Message, connect, receive, send

#: The key of a posting in a message to the broker (its value: the posting's kind).
POST = "post"
#: A posting's data per message, in bytes of JSON: well within the channel's limit.
CHUNK_BYTES = MAX_BYTES // 4
#: The entries kept per kind: a run's journal holds no more results than this.
MAX_ENTRIES = 100_000


def keep(posted: dict[str, dict[str, Any]], request: Message) -> Message:
    """The broker's side: ``request``'s data added to what was posted of its kind."""
    kind, data = request.get(POST), request.get("data")
    if not isinstance(kind, str) or not isinstance(data, dict):
        return {"kept": False}
    kept = posted.setdefault(kind, {})
    new = {name: value for name, value in data.items() if name not in kept}
    if len(kept) + len(new) > MAX_ENTRIES:
        return {"kept": False}  # never noted whole: the controller knows it lacks some
    kept.update(new)
    if request.get("last") is True:
        posted.setdefault(WHOLE, {})[f"{kind} {request.get('worker')}"] = True
    return {"kept": True}


class Poster:
    """A worker's side: posts to the broker at ``contact`` as ``worker``."""

    def __init__(self, contact: Message, worker: str) -> None:
        self._contact = contact
        self._worker = worker

    def __call__(self, kind: str, data: Mapping[str, Any]) -> bool:
        """Post ``data`` as ``kind`` (nothing is posted too: that is all there was); whether
        the broker kept all of it."""
        pieces = list(chunks(data)) or [{}]
        for index, chunk in enumerate(pieces):
            message = {POST: kind, "data": chunk, "worker": self._worker}
            try:
                with connect(self._contact) as connection:
                    send(connection, message | {"last": index == len(pieces) - 1})
                    reply = receive(connection)
            except (OSError, EOFError):
                return False
            if reply is None or reply.get("kept") is not True:
                return False
        return True


def chunks(data: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """``data`` cut into dicts of at most :data:`CHUNK_BYTES` of JSON each (one entry over
    it goes alone)."""
    chunk: dict[str, Any] = {}
    size = 0
    for name, value in data.items():
        entry = len(json.dumps(name)) + len(json.dumps(value)) + 4  # ": " and ", "
        if chunk and size + entry > CHUNK_BYTES:
            yield chunk
            chunk, size = {}, 0
        chunk[name] = value
        size += entry
    if chunk:
        yield chunk
