"""What a provider is: the contract built-in and team-written providers implement alike."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Final, Protocol, runtime_checkable

from pytest_tm_auth.core.errors import MissingCredentials
from pytest_tm_auth.core.values import Record, Setting, Values

if TYPE_CHECKING:  # types only: the core never imports requests
    import requests

    from pytest_tm_auth.core.token import Token


class Target(Record):
    """Where and how a provider logs in, decided from settings alone (no network).

    ``url`` is the site a user recognises (shown in the header and messages); ``api_url``
    is the base that sessions join relative paths to (it ends with ``/``); ``credentials``
    names the settings the login uses, so the header can say where each came from.
    """

    __slots__ = (  # noqa: RUF023  # the fields' order
        "deployment", "url", "api_url", "credentials",
    )  # fmt: skip

    deployment: Final[str]
    url: Final[str]
    api_url: Final[str]
    credentials: Final[tuple[str, ...]]

    def __init__(
        self, deployment: str, url: str, api_url: str, credentials: tuple[str, ...] = ()
    ) -> None:
        self.deployment = deployment
        self.url = url
        self.api_url = api_url
        self.credentials = credentials


def _stay(target: Target) -> None:
    """The default of :attr:`Login.relocate`: the target does not move."""


@runtime_checkable
class Provider(Protocol):
    """A service the plugin can log in to once per run.

    ``name`` keys the provider in ``tm_auth`` and prefixes its settings (``testrail`` →
    ``--testrail-url``); ``title`` is how messages name it; ``settings`` are the settings it
    owns (each gets an option, ini key and environment variable).
    """

    name: str
    title: str

    @property
    def settings(self) -> Sequence[Setting]:
        """The settings this provider owns, declared once."""
        ...

    def target(self, values: Values) -> Target:
        """Decide deployment, URLs and credentials from ``values``, without network.

        Raise :class:`~pytest_tm_auth.MissingCredentials` when the provider is not configured
        (tests that need it are skipped) and :class:`~pytest_tm_auth.ConfigError` for a value
        that cannot be right (the run stops with a usage error).
        """
        ...

    def authenticate(self, login: Login) -> Token:
        """Log in (or check the credentials) once and return the token sessions will send.

        Raise :class:`~pytest_tm_auth.AuthError` with a message a user can act on;
        :func:`~pytest_tm_auth.verify_token` and ``check_login_answer`` turn answers into such
        errors.
        """
        ...


class Login(Record):
    """Everything an authenticate hook needs: the provider, its target, settings and HTTP.

    ``http`` is a ``requests.Session`` with the run's TLS, timeout and retry settings and no
    credentials; use it for the login call so that those settings apply. It follows no
    redirect: a redirected login would carry the credentials to wherever the answer points,
    so a ``3xx`` reaches the caller (``check_login_answer`` makes it an error).

    ``relocate(target)`` tells the run that the token works at another target than the one
    decided without network (Jira Cloud's API gateway, found at login): sessions, the header
    and summary then use it. It takes effect only if the login succeeds.
    """

    __slots__ = (  # noqa: RUF023  # the fields' order
        "provider", "target", "values", "http", "relocate",
    )  # fmt: skip

    provider: Final[Provider]
    target: Final[Target]
    values: Final[Values]
    http: Final[requests.Session]
    relocate: Final[Callable[[Target], None]]

    def __init__(
        self,
        provider: Provider,
        target: Target,
        values: Values,
        http: requests.Session,
        relocate: Callable[[Target], None] = _stay,
    ) -> None:
        self.provider = provider
        self.target = target
        self.values = values
        self.http = http
        self.relocate = relocate


def missing(title: str, *alternatives: tuple[str, Sequence[Setting]]) -> MissingCredentials:
    """Say exactly which settings to set, one alternative per deployment.

    ``missing("Xray", ("Xray Cloud", [id, secret]), ("Xray Data Center", [url, token]))`` →
    ``Xray credentials not set: set XRAY_CLIENT_ID and XRAY_CLIENT_SECRET (--xray-client-id,
    --xray-client-secret) for Xray Cloud, or ...``.
    """
    parts = []
    for label, settings in alternatives:
        envs = " and ".join(s.env for s in settings)
        options = ", ".join(s.option for s in settings)
        parts.append(f"{envs} ({options}) for {label}" if label else f"{envs} ({options})")
    return MissingCredentials(f"{title} credentials not set: set " + ", or ".join(parts))
