"""Hook specifications: how a conftest or plugin extends pytest-tm-auth.

Their docstrings are the reference. Implement a hook by defining a function of the same
name in a ``conftest.py`` or an installed plugin, taking any subset of its arguments. When
your plugin may also run with pytest-tm-auth disabled (``-p no:tm_auth``), mark each
implementation ``@pytest.hookimpl(optionalhook=True)``.

In the order a run meets them:

1. :func:`pytest_tm_auth_add_providers`: at startup, declare another service.
2. :func:`pytest_tm_auth_credentials`: on a provider's first use, supply its credentials.
3. :func:`pytest_tm_auth_authenticate`: log in (replace or wrap the built-in login).
4. :func:`pytest_tm_auth_authenticated`: after the login succeeded, observe it.
5. :func:`pytest_tm_auth_session`: adjust the ``requests.Session`` tests will use.

And, for ``--tm-auth-sandbox`` runs, :func:`pytest_tm_auth_sandbox`: serve more services.
When results are published (``--xray-publish``), at the end of the run, per service:
:func:`pytest_tm_auth_results` before sending, :func:`pytest_tm_auth_published` after.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import requests

    from pytest_tm_auth.core.provider import Login, Provider
    from pytest_tm_auth.core.token import Token
    from pytest_tm_auth.results.model import Landing
    from pytest_tm_auth.sandbox import Sandbox


@pytest.hookspec(historic=True)
def pytest_tm_auth_add_providers() -> Iterable[Provider]:
    """Add services: return providers, objects implementing :class:`~pytest_tm_auth.Provider`.

    **When:** once per plugin, at startup, before the command line is parsed (the hook is
    historic: a plugin registered later is called when it registers). So implement it in
    an installed plugin or in a ``conftest.py`` that pytest loads at startup: the
    rootdir's, or one in a directory given on the command line. A provider added once the
    run has started (by a ``conftest.py`` found during collection) is a usage error.

    **Effect:** each of the provider's ``settings`` becomes an option, an ini key and an
    environment variable (``Setting("testrail_url", ...)`` → ``--testrail-url``,
    ``testrail_url``, ``TESTRAIL_URL``) listed in ``pytest --help``, with the built-ins'
    precedence, source reporting, secrecy and missing-credential policy. The provider gets
    a report-header and a summary line, and ``tm_auth.session(name)`` /
    ``tm_auth.token(name)`` with one login per run, also under xdist.

    **Returns:** an iterable of providers (``None`` for none). A provider name must be
    lowercase letters and digits, unique in the run; each setting name must start with
    ``{name}_``. The built-in Xray, Zephyr Scale and Jira providers are added through
    this very hook.
    """
    raise NotImplementedError


@pytest.hookspec(firstresult=True)
def pytest_tm_auth_credentials(
    provider: Provider, config: pytest.Config
) -> Mapping[str, str | None] | None:
    """Supply setting values for ``provider`` from anywhere: a vault, a keyring, a CLI tool.

    **When:** on the provider's first use (the first test that asks for its token or
    session), before its login: at most once per provider per run, never for a provider no
    test uses. Under xdist too: the controller's login broker asks it, in the controller,
    when the first worker's test needs the provider, once for the whole run; workers never
    ask it (the worker that logs in gets what it supplied). Only remote workers over ssh,
    which a login on first use cannot reach, make the controller ask it before they start.

    **Returns:** a mapping of setting names to text, e.g.
    ``{"xray_client_secret": vault.read("ci/xray")}``. Those values win over every other
    source (command line, environment, ``.env``, ini, ``--tm-auth-sandbox``); the settings
    it leaves out keep their usual value, and ``None`` as a value unsets one. Return
    ``None`` to leave every setting as it is. The first implementation that returns
    something other than ``None`` wins (``firstresult``). An unknown setting name fails
    the tests that need the provider, naming it; values marked secret are kept out of all
    output like any other.

    Raise :class:`~pytest_tm_auth.MissingCredentials` to skip the provider's tests with
    your own reason (say, no vault token on this machine), or
    :class:`~pytest_tm_auth.AuthError` to fail them with one message; either is
    remembered for the run.
    """
    raise NotImplementedError


@pytest.hookspec(firstresult=True)
def pytest_tm_auth_authenticate(login: Login) -> Token | None:
    """Log in for ``login.provider`` and return the :class:`~pytest_tm_auth.Token` sessions send.

    **When:** on the provider's first use, after :func:`pytest_tm_auth_credentials`; once
    per provider per run (under xdist, once for the whole run, in the worker whose test
    first needed the provider), and again only when a session must renew an expired or
    refused token (under xdist, once per refused token for the whole run).

    ``login`` carries ``provider``, ``target`` (deployment, ``url``, ``api_url``),
    ``values`` (the resolved settings, each with its source) and ``http``, a
    ``requests.Session`` with the run's timeout, TLS and retry settings and no
    credentials: make login calls with it.

    **Returns:** a token, or ``None`` to let the next implementation decide. The built-in
    implementation is ``trylast`` and calls ``login.provider.authenticate(login)``, so:

    - to **replace** the login (an SSO proxy, a pre-issued token), return a token, e.g.
      ``Token.bearer(login.provider.name, value)``, for the providers you handle and
      ``None`` for the rest;
    - to **wrap** it (observe, add a header to the login call, change the result), write a
      wrapper::

          @pytest.hookimpl(wrapper=True)
          def pytest_tm_auth_authenticate(login):
              login.http.headers["X-Request-Source"] = "pytest"  # before the login
              token = yield  # the login itself; raises if it failed
              return token  # or another Token

    Raise :class:`~pytest_tm_auth.AuthError` to fail the provider's tests with one
    message. A failure is remembered: the login is not tried again in the run.
    """
    raise NotImplementedError


@pytest.hookspec
def pytest_tm_auth_authenticated(provider: Provider, token: Token) -> None:
    """Observe a successful login: for audit logs and metrics.

    **When:** after each successful :func:`pytest_tm_auth_authenticate`: once per provider
    per run, plus once per renewal. Under xdist, once for the whole run, in the worker
    that logged in for all of them (the others reuse its token). Not called when no login
    happens (a token remembered by ``--tm-auth-remember`` is reused).

    ``token`` is the :class:`~pytest_tm_auth.Token` object: its ``provider``, ``scheme``
    and ``expires_at`` are safe to record; its ``repr`` is redacted. Never write
    ``str(token.value)`` anywhere.

    **Returns:** nothing (every implementation is called).
    """


@pytest.hookspec
def pytest_tm_auth_session(provider: Provider, session: requests.Session) -> None:
    """Adjust the ``requests.Session`` a provider hands to tests: proxies, certificates, headers.

    **When:** once per provider per process, when a test first asks for its session (the
    ``xray_session``-style fixtures, ``tm_auth.session(name)``), after the login succeeded
    and the session's base URL, auth, timeout, TLS and retries are set, before any test
    uses it. Not called for login requests: wrap :func:`pytest_tm_auth_authenticate` and
    use ``login.http`` for those.

    Change it in place, e.g. ``session.headers["X-Request-Source"] = "pytest"``,
    ``session.proxies = {"https": "http://proxy:3128"}`` or
    ``session.cert = ("client.pem", "client.key")``. Leave ``session.auth`` alone: it
    sends the provider's token and renews it once on a 401.

    **Returns:** nothing (every implementation is called).
    """


@pytest.hookspec
def pytest_tm_auth_sandbox(sandbox: Sandbox) -> None:
    """Add services to the stand-in that ``--tm-auth-sandbox`` started.

    **When:** once per run, in the process that starts the stand-in (under xdist, the
    controller), right after it starts and before any provider reads its settings.

    Call ``sandbox.add_service(...)`` with a service of your own (a TestRail recipe serves
    its API this way); the settings the service contributes point your provider at it, as
    the built-ins' do.

    **Returns:** nothing (every implementation is called).
    """


@pytest.hookspec
def pytest_tm_auth_results(provider: Provider, results: dict[str, Any]) -> None:
    """Change the results about to be published to a service: add fields, drop results.

    **When:** once per service per run, at the end of the run (under xdist, in the
    controller), after the results were collected and journaled and before anything is
    sent; also under ``--tm-auth-dry-run``. Not when ``pytest-tm-auth publish`` replays a
    journal: no ``conftest.py`` is loaded there, so the journal's results go as they are.

    ``results`` is the payload in the service's own shape (for Xray, the JSON of its
    import: ``info`` and ``tests``; for Zephyr Scale, ``projectKey``, the cycle, and
    ``executions`` in the Cloud API's names), changed in place: check which service it is
    first, e.g. ``if provider.name == "xray": results["info"]["description"] = "nightly"``
    (Zephyr Scale's payload has no ``info``). What you add is scrubbed of every known
    secret and checked again before it is sent; an exception sends nothing, and the run
    says why in one line.

    **Returns:** nothing (every implementation is called).
    """


@pytest.hookspec
def pytest_tm_auth_published(
    provider: Provider, target: Landing, session: requests.Session
) -> None:
    """Observe that a run's results landed, e.g. to write a CI summary, post a link or read
    the results back.

    **When:** once per service per run, after the service confirmed every result; never
    for results that did not land, nor under ``--tm-auth-dry-run``, nor in
    ``pytest-tm-auth publish``.

    ``target`` says where: ``target.key`` (the Test Execution's), ``target.url`` (its
    browse URL), ``target.count`` (results sent) and ``target.seconds`` (how long it took).
    ``session`` is the service's session the results went through (the run's one login),
    for requests of your own.

    **Returns:** nothing (every implementation is called).
    """
