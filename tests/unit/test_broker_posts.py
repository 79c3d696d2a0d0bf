"""What workers post to the controller before their tests run: kept by the broker over its
real channel, in messages within its size, bounded, and read back only as the shape the
results' collector expects."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from pytest_tm_auth.results.fold import LINKS, posted_links
from pytest_tm_auth.run.plugin_base import posted_whole
from pytest_tm_auth.run.xdist import broker as broker_module
from pytest_tm_auth.run.xdist.broker import CHUNK_BYTES, Broker, Poster, chunks, keep


@pytest.fixture
def broker() -> Iterator[Broker]:
    held = Broker({})
    yield held
    held.stop()


def many_links(count: int) -> dict[str, dict[str, list[str]]]:
    return {
        f"tests/test_big.py::test_case[{n:06d}]": {"xray": [f"DEMO-{n}"], "zephyr": ["DEMO-T1"]}
        for n in range(count)
    }


def test_links_over_one_message_arrive_whole_in_several(broker: Broker) -> None:
    links = many_links(20_000)  # some 1.5 MB of JSON: over the channel's 1 MiB per message
    assert len(json.dumps(links)) > 4 * CHUNK_BYTES
    sent = list(chunks(links))
    assert len(sent) > 4
    assert all(len(json.dumps(chunk)) <= CHUNK_BYTES for chunk in sent)
    assert Poster(broker.contact(), "gw0")(LINKS, links) is True
    assert broker.posted[LINKS] == links
    assert posted_whole(broker.posted, LINKS, "gw0")


def test_every_worker_posting_the_same_links_keeps_one_copy(broker: Broker) -> None:
    links = many_links(10)
    for _ in range(3):
        assert Poster(broker.contact(), "gw0")(LINKS, links) is True
    assert broker.posted[LINKS] == links


def test_a_broker_gone_away_is_said_to_the_poster(broker: Broker) -> None:
    contact = broker.contact()
    broker.stop()
    assert Poster(contact, "gw0")(LINKS, many_links(1)) is False


def test_what_is_kept_is_bounded_and_of_the_shape_posted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(broker_module, "MAX_ENTRIES", 3)
    posted: dict[str, dict[str, object]] = {}
    two, five = many_links(2), many_links(5)
    assert keep(posted, {"post": LINKS, "data": two, "worker": "gw0", "last": True}) == {
        "kept": True
    }
    assert posted_whole(posted, LINKS, "gw0")
    # The same entries again cost no room; more than the room is refused, never noted whole.
    assert keep(posted, {"post": LINKS, "data": two, "worker": "gw1", "last": True})["kept"]
    assert keep(posted, {"post": LINKS, "data": five, "worker": "gw2", "last": True}) == {
        "kept": False
    }
    assert posted[LINKS] == two
    assert not posted_whole(posted, LINKS, "gw2")
    assert keep(posted, {"post": LINKS, "data": ["not", "a", "dict"]}) == {"kept": False}
    assert keep(posted, {"post": 7, "data": {}}) == {"kept": False}


def test_a_worker_with_nothing_to_post_is_noted_whole(broker: Broker) -> None:
    assert Poster(broker.contact(), "gw3")(LINKS, {}) is True
    assert posted_whole(broker.posted, LINKS, "gw3")
    assert not posted_whole(broker.posted, LINKS, "gw0")


def test_posted_links_are_read_as_untrusted_plain_data() -> None:
    posted = {
        LINKS: {
            "a": {"xray": ["DEMO-1", 7], "zephyr": "DEMO-T1", "other": ["X-1"], "defects": ["D-2"]},
            "b": {"zephyr": ["DEMO-T2"]},
            "c": ["DEMO-1"],
        }
    }
    assert posted_links(posted, "a", ("xray",)) == {"xray": ["DEMO-1"], "defects": ["D-2"]}
    assert posted_links(posted, "b", ("xray",)) is None  # nothing for the services publishing
    assert posted_links(posted, "c", ("xray",)) is None
    assert posted_links(posted, "missing", ("xray",)) is None
    assert posted_links({}, "a", ("xray",)) is None
