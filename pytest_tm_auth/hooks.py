"""Hook specifications: how a conftest or plugin extends pytest-tm-auth.

Implement them in a ``conftest.py`` at the rootdir or in an installed plugin. When your
plugin may also run with pytest-tm-auth disabled (``-p no:tm_auth``), mark the
implementations ``@pytest.hookimpl(optionalhook=True)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import requests

    from pytest_tm_auth.provider import Login, Provider
    from pytest_tm_auth.token import Token


@pytest.hookspec(historic=True)
def pytest_tm_auth_add_providers() -> Iterable[Provider]:
    """Return the providers this plugin adds (objects implementing ``Provider``).

    Called once per plugin, also for plugins and rootdir conftests registered later, before
    the command line is parsed: each provider's ``settings`` become options, ini keys and
    environment variables, with the same precedence and source reporting as the built-ins.
    A provider named ``testrail`` is then available as ``tm_auth.session("testrail")`` and
    ``tm_auth.token("testrail")``. The built-in Xray, Zephyr Scale and Jira providers are
    added through this very hook.
    """
    raise NotImplementedError


@pytest.hookspec(firstresult=True)
def pytest_tm_auth_credentials(
    provider: Provider, config: pytest.Config
) -> Mapping[str, str | None] | None:
    """Supply setting values (credentials, URLs) for ``provider`` from anywhere: a vault.

    Return a mapping of setting names to values (e.g. ``{"xray_client_secret": "..."}``);
    those values win over every other source and the rest still come from the settings.
    Return ``None`` to use the settings alone. Called at most once per provider per run,
    on first use (under xdist: once, in the controller), never for unused providers.
    """
    raise NotImplementedError


@pytest.hookspec(firstresult=True)
def pytest_tm_auth_authenticate(login: Login) -> Token | None:
    """Log in for ``login.provider`` and return the token that sessions will send.

    The built-in implementation (``trylast``) calls ``login.provider.authenticate(login)``.
    Return a :class:`~pytest_tm_auth.Token` to replace it (an SSO proxy, a pre-issued
    token), or implement it as a wrapper (``@pytest.hookimpl(wrapper=True)``) to observe
    or change the result. Raise :class:`~pytest_tm_auth.AuthError` to fail with a message.
    Called once per provider per run, and again only to renew an expired token.
    """
    raise NotImplementedError


def pytest_tm_auth_authenticated(provider: Provider, token: Token) -> None:
    """Called after each successful login with the token (its ``repr`` is redacted).

    For audit logs and metrics. Once per provider per run, plus once per renewal; under
    xdist, in the controller only (workers reuse its token).
    """


def pytest_tm_auth_session(provider: Provider, session: requests.Session) -> None:
    """Adjust a session a provider hands to tests: proxies, client certificates, headers.

    Called once per provider session, after its base URL, auth, timeout, TLS and retries
    are set and before any test uses it.
    """
