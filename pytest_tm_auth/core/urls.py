"""URL checks and joins: refuse what would leak credentials, keep Jira context paths intact."""

from __future__ import annotations

import ipaddress
from urllib.parse import urljoin, urlsplit

from pytest_tm_auth.core.errors import ConfigError

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: plaintext there never leaves the machine."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def checked_url(url: str, described: str, *, allow_http: bool) -> str:
    """Return ``url`` without a trailing slash, or a :class:`ConfigError` naming its source.

    ``described`` says where the value came from (``--jira-url from env (JIRA_URL)``).
    """
    try:
        parts = urlsplit(url.strip())
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
        raise ConfigError(
            f"Refusing plain http:// URL {url!r} in {described}: credentials would cross the "
            "network unencrypted; use https:// or pass --tm-auth-allow-http"
        )
    return url.strip().rstrip("/")


def api_base(site: str, path: str = "") -> str:
    """``site`` plus ``path``, ending with ``/`` so relative joins keep every segment."""
    return site.rstrip("/") + "/" + path.strip("/") + ("/" if path.strip("/") else "")


def origin_of(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port (default port filled in): where a credential may be sent."""
    parts = urlsplit(url)
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
    if urlsplit(path).scheme in {"http", "https"}:
        return path
    return urljoin(base, path.lstrip("/"))
