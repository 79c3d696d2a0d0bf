"""URL checks and joins: refuse what would leak credentials, keep Jira context paths intact.

A plain ``https://host[:port][/path]`` is read without :mod:`urllib.parse`, which imports
:mod:`ipaddress` and costs every run with a URL setting more than the rest of the start-up
checks together (from Python 3.13, where :mod:`pathlib` no longer imports it at start).
:func:`plain_parts` accepts only text whose every character is one that ``urlsplit`` passes
through unchanged, and leaves anything else to ``urlsplit`` itself
(``tests/unit/test_urls.py`` holds them equal).
"""

from __future__ import annotations

import string
from typing import TYPE_CHECKING

from pytest_tm_auth.core.errors import ConfigError

if TYPE_CHECKING:
    from urllib.parse import SplitResult

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})
#: What a plain URL's host may hold: a name or dotted numbers, nothing urlsplit would decode.
HOST_CHARACTERS = frozenset(string.ascii_letters + string.digits + "-.")
#: What a plain URL's path may hold besides: no query, fragment, escape, credentials or space.
PATH_CHARACTERS = HOST_CHARACTERS | frozenset("/_~")


def plain_parts(url: str) -> tuple[str, str, int | None] | None:
    """Scheme, lowercase host and port of a plain ``http(s)://host[:port][/path]``, as
    ``urlsplit`` reads them; ``None`` for anything else (``urlsplit`` decides then)."""
    scheme, separator, rest = url.partition("://")
    if not separator or scheme not in {"http", "https"}:
        return None
    authority, _, path = rest.partition("/")
    host, colon, port = authority.partition(":")
    if not host or not HOST_CHARACTERS.issuperset(host) or not PATH_CHARACTERS.issuperset(path):
        return None
    if not colon:
        return scheme, host.lower(), None
    if not port.isascii() or not port.isdigit() or int(port) > 65535:
        return None
    return scheme, host.lower(), int(port)


def split(url: str) -> SplitResult:
    """``urlsplit``, imported on first use."""
    from urllib.parse import urlsplit

    return urlsplit(url)


def hostname(url: str) -> str:
    """The URL's host, lowercase (``""`` when it has none)."""
    plain = plain_parts(url)
    if plain is not None:
        return plain[1]
    return split(url).hostname or ""


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: plaintext there never leaves the machine."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    octets = host.split(".")
    if len(octets) == 4 and all(_octet(part) for part in octets):
        return octets[0] == "127"  # an IPv4 address, read as ipaddress reads one
    if HOST_CHARACTERS.issuperset(host) and not host.replace(".", "").isdigit():
        return False  # a name: ipaddress would refuse it
    import ipaddress

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _octet(part: str) -> bool:
    """A decimal from 0 to 255 without a leading zero, as :mod:`ipaddress` accepts."""
    return (
        part.isascii()
        and part.isdigit()
        and len(part) <= 3
        and (part == "0" or not part.startswith("0"))
        and int(part) <= 255
    )


def checked_url(url: str, described: str, *, allow_http: bool) -> str:
    """Return ``url`` without a trailing slash, or a :class:`ConfigError` naming its source.

    ``described`` says where the value came from (``--jira-url from env (JIRA_URL)``).
    """
    plain = plain_parts(url.strip())
    if plain is not None:
        scheme, host, _ = plain
        if scheme == "http" and not allow_http and not is_loopback(host):
            raise ConfigError(_plain_http(url, described))
        return url.strip().rstrip("/")
    try:
        parts = split(url.strip())
    except ValueError as exc:  # the URL is not shown: it may carry a password
        raise ConfigError(f"Malformed URL in {described}: {exc}") from None
    if parts.username or parts.password:  # checked first: later messages show the URL
        raise ConfigError(
            f"URL in {described} carries credentials; set them in their own settings instead"
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ConfigError(f"Malformed URL {url!r} in {described}: {exc}") from None
    if any(ch.isspace() for ch in url.strip()):
        raise ConfigError(f"Malformed URL {url!r} in {described}: it contains a space")
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(f"Malformed URL {url!r} in {described}: expected https://host[/path]")
    if parts.query or parts.fragment:
        raise ConfigError(f"URL {url!r} in {described} must not have a query or fragment")
    if parts.scheme == "http" and not allow_http and not is_loopback(parts.hostname):
        raise ConfigError(_plain_http(url, described))
    return url.strip().rstrip("/")


def _plain_http(url: str, described: str) -> str:
    return (
        f"Refusing plain http:// URL {url!r} in {described}: credentials would cross the "
        "network unencrypted; use https:// or pass --tm-auth-allow-http"
    )


def api_base(site: str, path: str = "") -> str:
    """``site`` plus ``path``, ending with ``/`` so relative joins keep every segment."""
    return site.rstrip("/") + "/" + path.strip("/") + ("/" if path.strip("/") else "")


def origin_of(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port (default port filled in): where a credential may be sent."""
    parts = split(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    try:
        port = parts.port or default
    except ValueError:
        port = None
    return parts.scheme, (parts.hostname or "").lower(), port


def join(base: str, path: str) -> str:
    """Join a relative ``path`` to ``base``; absolute URLs pass through unchanged.

    A leading ``/`` is treated as relative to the base (not the host), so
    ``join("https://h/jira/rest/api/2/", "/myself")`` keeps ``/jira``.
    """
    from urllib.parse import urljoin

    if split(path).scheme in {"http", "https"}:
        return path
    return urljoin(base, path.lstrip("/"))
