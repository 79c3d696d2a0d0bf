"""A provider's URL setting, checked as the built-in providers check theirs."""

from __future__ import annotations

from pytest_tm_auth.core.urls import checked_url
from pytest_tm_auth.core.values import Values
from pytest_tm_auth.settings.run_wide import ALLOW_HTTP


def site_url(values: Values, name: str) -> str:
    """The URL held by setting ``name``, checked as the built-ins check theirs.

    Refuses a malformed URL, one carrying credentials, and plain ``http://`` to a host that is
    not loopback (unless ``--tm-auth-allow-http``), with a :class:`~pytest_tm_auth.ConfigError`
    naming the setting and its source. Returns it without a trailing slash.
    """
    text = values.text(name)
    if text is None:
        raise ValueError(f"{name} is not set: check for missing credentials first")
    return checked_url(text, values.describe(name), allow_http=values.flag(ALLOW_HTTP.name))
