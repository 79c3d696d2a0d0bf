"""Small fakes of the core's collaborators: a provider, hooks, HTTP, memory, settings."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Mapping
from typing import Any

from pytest_tm_auth.core.errors import MissingCredentials
from pytest_tm_auth.core.provider import Login, Target
from pytest_tm_auth.core.token import Token
from pytest_tm_auth.core.values import Setting, Values
from pytest_tm_auth.settings.resolve import Sources, resolve

URL = Setting("demo_url", "Demo site", label="url", url=True)
KEY = Setting("demo_key", "Demo API key", secret=True, label="key")


def values(**environ: str) -> Values:
    """The demo provider's settings resolved from these environment variables."""
    return resolve([URL, KEY], Sources(environ=environ))


class DemoProvider:
    """Configured when both settings are set; logs in through the hooks, never itself."""

    title = "Demo"
    settings = (URL, KEY)

    def __init__(self, name: str = "demo") -> None:
        self.name = name

    def target(self, values: Values) -> Target:
        url, key = values.text(URL.name), values.text(KEY.name)
        if not (url and key):
            raise MissingCredentials("Demo credentials not set: set DEMO_URL and DEMO_KEY")
        return Target("cloud", url, url + "/api/", (URL.name, KEY.name))

    def authenticate(self, login: Login) -> Token:
        raise NotImplementedError("the fake hooks decide")


class SharedDemoProvider(DemoProvider):
    """The same, opted into the one-refusal rule: the key is the account."""

    def account(self, target: Target, values: Values) -> str:
        return values.text(KEY.name) or ""


class FakeHooks:
    """Answers as scripted; counts every call. ``issue`` is what authenticate does."""

    stops_run: tuple[type[BaseException], ...] = (KeyboardInterrupt,)

    def __init__(self, issue: Any = None, supplied: Mapping[str, str | None] | None = None):
        self.issue = issue if issue is not None else (lambda login: Token.bearer("demo", "t-1"))
        self.supplied = supplied
        self.calls: list[str] = []
        self.logins: list[Login] = []
        self.notified: list[Token] = []
        self._lock = threading.Lock()

    def credentials(self, provider: Any) -> Mapping[str, str | None] | None:
        self.calls.append("credentials")
        return self.supplied

    def authenticate(self, login: Login) -> Token | None:
        with self._lock:
            self.calls.append("authenticate")
            self.logins.append(login)
        result: Token | None = self.issue(login)
        return result

    def authenticated(self, provider: Any, token: Token) -> None:
        self.calls.append("authenticated")
        self.notified.append(token)


class FakeConnector:
    """A login session that is only an object; counts sessions opened and closed."""

    def __init__(self) -> None:
        self.opened = 0
        self.closed = 0

    @contextlib.contextmanager
    def login_session(self, title: str, url: str, service: str = "") -> Iterator[Any]:
        self.opened += 1
        try:
            yield object()
        finally:
            self.closed += 1

    def retries_of(self, http: Any) -> str:
        return ""


class FakeMemory:
    """Remembers in a dict; ``recall`` answers ``remembered`` when set."""

    def __init__(self, remembered: Token | None = None) -> None:
        self.remembered = remembered
        self.kept: list[Token] = []
        self.recalls = 0

    def recall(self, provider: Any, target: Target, values: Values) -> Token | None:
        self.recalls += 1
        return self.remembered

    def keep(self, provider: Any, target: Target, values: Values, token: Token) -> None:
        self.kept.append(token)
