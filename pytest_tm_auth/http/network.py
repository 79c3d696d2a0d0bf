"""Turn a login that got no answer (timeout, TLS, DNS, refused, dropped) into one sentence."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
)

from pytest_tm_auth.core.errors import AuthError, inert
from pytest_tm_auth.http.bounded import AnswerTooSlow, GaveUp, attempts_note

_INCOMPLETE = re.compile(r"IncompleteRead\((\d+) bytes read, (\d+) more expected\)")
_TIMEOUT = re.compile(r"read timeout=([0-9.]+)")
_CONNECT = re.compile(r"Failed to establish a new connection: (.*)")
_TUNNEL = re.compile(r"Tunnel connection failed: (\d{3})([^'\"()]*)")
PROXY_407_FIX = (
    "the proxy asks for credentials: give them in HTTPS_PROXY "
    "(http://user:password@host:port), or exempt the service's host with NO_PROXY"
)


def explain_exception(title: str, url: str, error: Exception) -> AuthError:
    """An :class:`AuthError` for a login that got no answer (timeout, TLS, DNS, refused).

    ``error`` is what requests raised (or a ``UnicodeError`` for a credential that cannot
    be sent in a header); retries that ran out are named with their count and pauses.
    """
    cause, note = _unwrap(error)
    detail = inert(str(cause), 400)  # an error can quote the server (a bad status line)
    problem, fix = _no_connection(error, cause, detail, note, url) or _no_answer(
        error, cause, detail, note
    )
    return AuthError(title, url, problem, fix=fix)


def request_sent(error: Exception) -> bool:
    """Whether the request may have reached the service before ``error``: false only when
    no connection was made (DNS, refused, connect timeout, TLS, a proxy's refusal, a bad URL
    or header), so that a request that changes something is never sent twice blindly."""
    if isinstance(
        error,
        (
            UnicodeError,
            requests.exceptions.ConnectTimeout,
            requests.exceptions.SSLError,
            requests.exceptions.ProxyError,
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidHeader,
        ),
    ):
        return False
    cause, _ = _unwrap(error)
    return not isinstance(cause, (NewConnectionError, NameResolutionError, ConnectTimeoutError))


def _no_answer(error: Exception, cause: BaseException, detail: str, note: str) -> tuple[str, str]:
    """What went wrong before or after the connection: the request, TLS, the answer."""
    if isinstance(error, UnicodeError):
        return (
            "a credential holds characters that cannot be sent in an HTTP header",
            "tokens and keys are plain ASCII: copy the value again",
        )
    if isinstance(error, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
        return "the URL is not valid", "check the URL setting"
    if isinstance(error, AnswerTooSlow):
        return (
            f"the service answered too slowly: no whole answer within {error.seconds:g} s",
            "the service is slow, unreachable or sends its answer slowly; raise "
            "--tm-auth-timeout or check the URL",
        )
    broken = _broken_answer(error, detail) or _proxy_refused(error, detail)
    if broken is not None:
        return broken
    if isinstance(cause, (ReadTimeoutError, requests.exceptions.ReadTimeout)):
        seconds = _TIMEOUT.search(detail)
        return (
            f"no answer within {seconds.group(1)} s" if seconds else "no answer in time",
            "the service is slow or unreachable; raise --tm-auth-timeout or check the URL",
        )
    if isinstance(error, requests.exceptions.SSLError):
        said, fix = _tls_reason(detail)
        if "CERTIFICATE_VERIFY_FAILED" in detail:
            return f"TLS certificate verification failed: {said}", fix
        return f"TLS handshake failed: {said}", fix
    if isinstance(error, requests.ConnectionError):
        return (
            f"the connection was closed without an answer{note}",
            "a proxy or load balancer dropped it; check the URL and the network",
        )
    return f"the request failed ({type(error).__name__}){note}", ""


def _proxy_refused(error: Exception, detail: str) -> tuple[str, str] | None:
    """The proxy from the environment answered the tunnel request with an error status."""
    tunnel = _TUNNEL.search(detail)
    if not isinstance(error, requests.exceptions.ProxyError) or tunnel is None:
        return None
    status = int(tunnel.group(1))
    fix = PROXY_407_FIX if status == 407 else "check HTTPS_PROXY, NO_PROXY and the network"
    return f"the proxy refused the connection: HTTP {status}{tunnel.group(2).rstrip()}", fix


def _broken_answer(error: Exception, detail: str) -> tuple[str, str] | None:
    """An answer that began but was not HTTP, or ended early."""
    if "got more than 100 headers" in detail:
        return (
            "the answer had more than 100 headers, more than any API sends",
            "something in front of the service (a proxy, a load balancer) sends them; "
            "check the URL and the network",
        )
    if "BadStatusLine" in detail or "InvalidHeader" in detail or "LineTooLong" in detail:
        return (
            "the server did not answer in HTTP",
            "check http:// versus https:// and the port in the URL",
        )
    if isinstance(error, requests.exceptions.ChunkedEncodingError) or "IncompleteRead" in detail:
        got = _INCOMPLETE.search(detail)
        size = (
            f" after {got.group(1)} of {int(got.group(1)) + int(got.group(2))} bytes" if got else ""
        )
        return (
            f"the answer was cut short: the connection closed{size}",
            "a proxy or load balancer cut it; try again, or check the URL and the network",
        )
    return None


def _no_connection(
    error: Exception, cause: BaseException, detail: str, note: str, url: str
) -> tuple[str, str] | None:
    """No connection was made: the name, the port, or the path to the host."""
    if isinstance(error, (UnicodeError, requests.exceptions.SSLError)):
        return None
    if isinstance(cause, NameResolutionError) or "Name or service not known" in detail:
        host = urlsplit(url).hostname or "the host"
        return (
            f"the host name {host} does not resolve (DNS){note}",
            "check the URL for typos, and the network or VPN",
        )
    if isinstance(cause, NewConnectionError) and "refused" in detail.lower():
        return (
            f"connection refused{note}",
            "nothing listens at this host and port: check the URL and that the service runs",
        )
    if isinstance(cause, NewConnectionError):
        why = _CONNECT.search(detail)
        return f"could not connect{note}: {why.group(1) if why else detail}", (
            "check the URL and the network"
        )
    if isinstance(cause, ConnectTimeoutError) or isinstance(error, requests.ConnectTimeout):
        return (
            f"no connection in time{note}",
            "a firewall or proxy may be in the way; check the URL and the network",
        )
    return None


def _unwrap(error: Exception) -> tuple[BaseException, str]:
    """The error urllib3 met under requests' wrapper, and how many attempts it took."""
    inner = error.args[0] if error.args else None
    if isinstance(inner, MaxRetryError):
        note = ""
        if isinstance(inner, GaveUp):
            note = attempts_note(inner.attempts, inner.waited)
        return (inner.reason if inner.reason is not None else inner), note
    if isinstance(inner, BaseException):
        return inner, ""
    return error, ""


#: The few certificate problems worth naming, and what to do about each.
_TLS_REASONS = (
    (
        "self-signed certificate",
        "the server's certificate is self-signed",
        "pass its CA with --tm-auth-ca-bundle PATH",
    ),
    (
        "unable to get local issuer certificate",
        "the server's certificate is signed by a CA this machine does not trust",
        "behind a corporate proxy or with a private CA, pass --tm-auth-ca-bundle PATH",
    ),
    (
        "certificate has expired",
        "the server's certificate has expired",
        "the server must renew it; check the URL",
    ),
    (
        "certificate is not valid for",  # "Hostname mismatch", "IP address mismatch"
        "the certificate is for another host name",
        "check the host in the URL",
    ),
    (
        "wrong version number",
        "the server does not speak TLS at this port",
        "check http:// versus https:// and the port in the URL",
    ),
)


def _tls_reason(detail: str) -> tuple[str, str]:
    lowered = detail.lower()
    for known, said, fix in _TLS_REASONS:
        if known.lower() in lowered:
            return said, fix
    return (
        "the server's certificate was not accepted",
        "pass your CA with --tm-auth-ca-bundle PATH, or check the URL",
    )
