"""Turn a failed login (a response or an exception) into one sentence a user can act on.

Every message names the provider, the URL, the HTTP status and the server's own reason
(trimmed), then the likely fix. Providers pass ``fixes`` for cases only they understand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ReadTimeoutError,
)

from pytest_tm_auth.errors import AuthError
from pytest_tm_auth.http import GaveUp

REASON_LIMIT = 160
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")
_TIMEOUT = re.compile(r"read timeout=([0-9.]+)")
_CONNECT = re.compile(r"Failed to establish a new connection: (.*)")

CAPTCHA_FIX = (
    "Jira asks for a CAPTCHA after failed logins: log in once through the browser "
    "as this user, then run again"
)
REGION_FIX = (
    "your Xray data lives in another region: set --xray-region (XRAY_REGION) to us, eu or au"
)
LICENSE_FIX = "the Xray license of this Jira site is not valid: check the Xray subscription"
PASSWORD_FIX = (
    "Jira Cloud refuses passwords: set JIRA_TOKEN to an API token instead of JIRA_PASSWORD"
)
NOT_FOUND_FIX = "wrong base URL: nothing answers at this path; check the URL setting"
DATACENTER_SERVER_FIX = (
    "this server answers like Jira Data Center (X-Seraph-LoginReason), not a Cloud service: "
    "use Data Center credentials (JIRA_TOKEN as a personal access token) and "
    "{option}=datacenter"
)
UNAVAILABLE_FIX = (
    "the service is rate-limiting or unavailable; try again later or raise --tm-auth-retries"
)


def server_reason(response: requests.Response) -> str:
    """The server's own words, on one line: a JSON error field, an HTML title, or the text."""
    text = response.text or ""
    if is_html(response):
        match = _TITLE.search(text)
        title = _SPACE.sub(" ", match.group(1)).strip() if match else ""
        return f"an HTML page{f' titled {title!r}' if title else ''}"
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("error", "message", "errorMessage", "errorMessages", "errors"):
            value = data.get(key)
            if isinstance(value, list):
                value = "; ".join(str(v) for v in value)
            if value:
                text = str(value)
                break
    line = _SPACE.sub(" ", text).strip()
    return line if len(line) <= REASON_LIMIT else line[: REASON_LIMIT - 1] + "…"


def is_html(response: requests.Response) -> bool:
    kind = response.headers.get("Content-Type", "")
    return "html" in kind.lower() or response.text.lstrip()[:1] == "<"


def attempts_note(response: requests.Response) -> str:
    """`` after 4 attempts, waited 3.0 s`` when retries happened, so a user knows they did."""
    retries = getattr(response.raw, "retries", None)
    history = getattr(retries, "history", ()) if retries is not None else ()
    return _attempts(len(history) + 1, getattr(retries, "waited", None))


def _attempts(attempts: int, waited: float | None) -> str:
    if attempts <= 1:
        return ""
    return f" after {attempts} attempts" + (f", waited {waited:.1f} s" if waited else "")


def check_login_answer(
    title: str,
    url: str,
    response: requests.Response,
    *,
    expected: str = "the API",
    html_fix: str = "a proxy or SSO page answered; check the URL setting",
    fixes: Mapping[int, str] | None = None,
    credentials: str = "the credentials",
    deployment: str = "",
    deployment_option: str = "--jira-deployment",
) -> None:
    """Raise an :class:`AuthError` unless a login call got a usable answer from the API.

    Refused: a redirect (login sessions follow none, so credentials never travel on), an
    error status, and an HTML page where the API should answer (a proxy's login form).
    """
    status = response.status_code
    if 300 <= status < 400:  # with or without a Location: a login answers, it does not send on
        location = urlsplit(response.headers.get("Location", ""))._replace(query="", fragment="")
        raise AuthError(
            title,
            url,
            f"HTTP {status} redirect to {location.geturl() or 'no address (no Location)'}",
            fix="a login is never sent on to another address: set the URL setting to the "
            "address the service really answers at",
            status=status,
        )
    if not response.ok:
        raise explain_response(
            title,
            url,
            response,
            fixes=fixes,
            credentials=credentials,
            deployment=deployment,
            deployment_option=deployment_option,
        )
    if is_html(response):
        raise AuthError(
            title,
            url,
            f"HTTP {status} with an HTML page instead of {expected}",
            fix=html_fix,
            status=status,
        )


def explain_response(
    title: str,
    url: str,
    response: requests.Response,
    *,
    fixes: Mapping[int, str] | None = None,
    credentials: str = "the credentials",
    deployment: str = "",
    deployment_option: str = "--jira-deployment",
) -> AuthError:
    """An :class:`AuthError` for a login answered with an error status.

    ``deployment`` is the one the settings chose; a server that answers like the other
    one (Jira Data Center sends ``X-Seraph-LoginReason``) gets a message saying so.
    """
    status = response.status_code
    reason = server_reason(response)
    status_text = f"HTTP {status}{attempts_note(response)}"
    problem = f"{status_text}: {reason}" if reason else status_text
    seraph = response.headers.get("X-Seraph-LoginReason", "")
    lowered = reason.lower()
    if "AUTHENTICATION_DENIED" in seraph:
        fix = CAPTCHA_FIX
    elif "another region" in lowered:
        fix = REGION_FIX
    elif status == 401 and "license" in lowered:
        fix = LICENSE_FIX
    elif status == 401 and "passwords is deprecated" in lowered:
        fix = PASSWORD_FIX
    elif status == 401 and seraph and deployment == "cloud":
        fix = DATACENTER_SERVER_FIX.format(option=deployment_option)
    elif fixes and status in fixes:
        fix = fixes[status]
    elif status == 400:
        fix = f"the service rejected the login request; check the format of {credentials}"
    elif status == 401:
        fix = f"check {credentials}"
    elif status == 403:
        fix = f"{credentials} were refused: the account lacks permission, or is not valid here"
    elif status == 404:
        fix = NOT_FOUND_FIX
    elif status == 429 or status >= 500:
        fix = UNAVAILABLE_FIX
    else:
        fix = ""
    denied = "AUTHENTICATION_DENIED" in seraph or "AUTHENTICATED_FAILED" in seraph
    return AuthError(
        title, url, problem, fix=fix, status=status, credentials_refused=status == 401 or denied
    )


def explain_exception(title: str, url: str, error: Exception) -> AuthError:
    """An :class:`AuthError` for a login that got no answer (timeout, TLS, DNS, refused).

    ``error`` is what requests raised (or a ``UnicodeError`` for a credential that cannot
    be sent in a header); retries that ran out are named with their count and pauses.
    """
    cause, note = _unwrap(error)
    detail = _SPACE.sub(" ", str(cause))
    if isinstance(error, UnicodeError):
        return AuthError(
            title,
            url,
            "a credential holds characters that cannot be sent in an HTTP header",
            fix="tokens and keys are plain ASCII: copy the value again",
        )
    if isinstance(error, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema)):
        return AuthError(title, url, "the URL is not valid", fix="check the URL setting")
    if isinstance(cause, (ReadTimeoutError, requests.exceptions.ReadTimeout)):
        seconds = _TIMEOUT.search(detail)
        return AuthError(
            title,
            url,
            f"no answer within {seconds.group(1)} s" if seconds else "no answer in time",
            fix="the service is slow or unreachable; raise --tm-auth-timeout or check the URL",
        )
    if isinstance(error, requests.exceptions.SSLError):
        said, fix = _tls_reason(detail)
        if "CERTIFICATE_VERIFY_FAILED" in detail:
            return AuthError(title, url, f"TLS certificate verification failed: {said}", fix=fix)
        return AuthError(title, url, f"TLS handshake failed: {said}", fix=fix)
    if isinstance(cause, NameResolutionError) or "Name or service not known" in detail:
        host = urlsplit(url).hostname or "the host"
        return AuthError(
            title,
            url,
            f"the host name {host} does not resolve (DNS){note}",
            fix="check the URL for typos, and the network or VPN",
        )
    if isinstance(cause, NewConnectionError) and "refused" in detail.lower():
        return AuthError(
            title,
            url,
            f"connection refused{note}",
            fix="nothing listens at this host and port: check the URL and that the service runs",
        )
    if isinstance(cause, NewConnectionError):
        why = _CONNECT.search(detail)
        return AuthError(
            title,
            url,
            f"could not connect{note}: {why.group(1) if why else detail}",
            fix="check the URL and the network",
        )
    if isinstance(cause, ConnectTimeoutError) or isinstance(error, requests.ConnectTimeout):
        return AuthError(
            title,
            url,
            f"no connection in time{note}",
            fix="a firewall or proxy may be in the way; check the URL and the network",
        )
    if isinstance(error, requests.ConnectionError):
        return AuthError(
            title,
            url,
            f"the connection was closed without an answer{note}",
            fix="a proxy or load balancer dropped it; check the URL and the network",
        )
    return AuthError(title, url, f"the request failed ({type(error).__name__}){note}")


def _unwrap(error: Exception) -> tuple[BaseException, str]:
    """The error urllib3 met under requests' wrapper, and how many attempts it took."""
    inner = error.args[0] if error.args else None
    if isinstance(inner, MaxRetryError):
        note = ""
        if isinstance(inner, GaveUp):
            note = _attempts(inner.attempts, inner.waited)
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
