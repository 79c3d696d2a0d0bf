"""Turn a failed login (a response or an exception) into one sentence a user can act on.

Every message names the provider, the URL, the HTTP status and the server's own reason
(trimmed), then the likely fix. Providers pass ``fixes`` for cases only they understand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

import requests

from pytest_tm_auth.errors import AuthError

REASON_LIMIT = 160
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s+")

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
NOT_FOUND_FIX = "wrong base URL? check the URL setting"
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
    """``after 4 attempts`` when urllib3 retried, so a user knows retries already happened."""
    retries = getattr(response.raw, "retries", None)
    history = getattr(retries, "history", ()) if retries is not None else ()
    return f" after {len(history) + 1} attempts" if history else ""


def explain_response(
    title: str,
    url: str,
    response: requests.Response,
    *,
    fixes: Mapping[int, str] | None = None,
    credentials: str = "the credentials",
) -> AuthError:
    """An :class:`AuthError` for a login answered with an error status."""
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
    return AuthError(title, url, problem, fix=fix, status=status)


def explain_exception(title: str, url: str, error: requests.RequestException) -> AuthError:
    """An :class:`AuthError` for a login that got no answer (timeout, TLS, DNS, refused)."""
    detail = _SPACE.sub(" ", str(error))
    if isinstance(error, requests.Timeout):
        return AuthError(
            title,
            url,
            "no answer in time",
            fix="the service is slow or unreachable; raise --tm-auth-timeout or check the URL",
        )
    if isinstance(error, requests.exceptions.SSLError):
        return AuthError(
            title,
            url,
            f"TLS certificate verification failed ({_tls_reason(detail)})",
            fix="behind a corporate proxy or with a private CA, pass --tm-auth-ca-bundle PATH",
        )
    if "NameResolutionError" in detail or "Name or service not known" in detail:
        return AuthError(title, url, "the host name does not resolve (DNS)", fix="check the URL")
    if "refused" in detail.lower():
        return AuthError(
            title, url, "connection refused", fix="is the service running at this URL and port?"
        )
    if isinstance(error, requests.ConnectionError):
        return AuthError(
            title, url, "the connection failed or was dropped", fix="check the URL and network"
        )
    return AuthError(title, url, f"the request failed ({type(error).__name__})")


def _tls_reason(detail: str) -> str:
    for known in (
        "self-signed certificate in certificate chain",
        "self-signed certificate",
        "unable to get local issuer certificate",
        "certificate has expired",
        "Hostname mismatch",
        "wrong version number",
    ):
        if known.lower() in detail.lower():
            return known
    return "certificate not trusted"
