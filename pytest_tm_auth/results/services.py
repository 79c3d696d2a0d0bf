"""One adapter per service, chosen by name: what the one publishing flow asks of Xray or
Zephyr Scale.

An adapter reads the service's settings from the journal's header, builds the payload a
team's hook sees (and checks it again after the hook), and makes the client that sends it.
The flow (:mod:`.flow`) knows nothing else of a service: the journal's steps, the search by
label before creating, an outcome unknown, the hooks and the summary are the same for both.
Each adapter's modules are imported only when its service publishes; its client's (which
import requests) only when something is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from pytest_tm_auth.results.model import Result, ServiceClient, default_summary

if TYPE_CHECKING:
    from pytest_tm_auth.core.provider import Target
    from pytest_tm_auth.http.session import ApiSession


class Adapter(NamedTuple):
    """What publishing needs of one service."""

    service: str
    #: The settings from the journal's header (raises :class:`~.model.PublishError`).
    settings: Callable[[Mapping[str, Any]], Any]
    #: A new target's name (summary) for these settings and header.
    title: Callable[[Any, Mapping[str, Any]], str]
    #: ``(results, header, settings, deployment, key)`` -> the payload and what was dropped.
    payload: Callable[
        [Sequence[Result], Mapping[str, Any], Any, str, str | None],
        tuple[dict[str, Any], list[str]],
    ]
    #: ``(payload, key, scrub, pieces, label=, built=)`` -> the payload scrubbed and checked
    #: again (``built``: its top level as built, before the team's hook changed it).
    rechecked: Callable[..., dict[str, Any]]
    #: How many results a payload holds (one per linked key).
    result_count: Callable[[dict[str, Any]], int]
    #: A new target is made with every result in the same request (so the payload is
    #: built first, for no key).
    fills: bool
    #: ``(session, target, jira site)`` -> the client; imports requests.
    client: Callable[[ApiSession, Target, str | None], ServiceClient]


def adapter(service: str) -> Adapter:
    """The adapter of ``service`` (``xray`` or ``zephyr``); ``KeyError`` for another."""
    if service == "xray":
        return _xray()
    if service == "zephyr":
        return _zephyr()
    raise KeyError(service)


def _xray() -> Adapter:
    from pytest_tm_auth.results import xray_payload as xray

    def client(session: ApiSession, target: Target, site: str | None) -> ServiceClient:
        from pytest_tm_auth.results.xray_client import XrayClient

        return XrayClient(session, target, site)

    return Adapter(
        "xray",
        xray.XraySettings.from_header,
        lambda settings, header: settings.summary or default_summary(header),
        xray.build_payload,
        lambda payload, key, scrub, pieces, **_: xray.rechecked(payload, key, scrub, pieces),
        lambda payload: len(payload.get("tests", [])),
        fills=False,
        client=client,
    )


def _zephyr() -> Adapter:
    from pytest_tm_auth.results import zephyr_payload as zephyr

    def client(session: ApiSession, target: Target, site: str | None) -> ServiceClient:
        from pytest_tm_auth.results.zephyr_client import ZephyrCloudClient, ZephyrDataCenterClient

        if target.deployment == "cloud":
            return ZephyrCloudClient(session, target)
        return ZephyrDataCenterClient(session, target)

    return Adapter(
        "zephyr",
        zephyr.ZephyrSettings.from_header,
        zephyr.title,
        zephyr.build_payload,
        zephyr.rechecked,
        lambda payload: len(payload.get("executions", [])),
        fills=True,
        client=client,
    )
