"""The ``tm_auth`` fixture: any provider's token or session by name, logged in on first use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_tm_auth.core.provider import Provider, Target
    from pytest_tm_auth.core.token import Token
    from pytest_tm_auth.http.session import ApiSession
    from pytest_tm_auth.run.state import ProviderRun


class TmAuth:
    """The run's registry: any provider's token or session by name (the ``tm_auth`` fixture).

    Lookups log in on first use. A provider without credentials skips the asking test (or
    fails it under ``--tm-auth-on-missing=fail``); a failed login fails it with one message.
    """

    def __init__(self, states: Mapping[str, ProviderRun], on_missing: str) -> None:
        self._states = states
        self._on_missing = on_missing

    @property
    def names(self) -> list[str]:
        """The names of every provider of this run, built-in and added."""
        return list(self._states)

    def __contains__(self, name: object) -> bool:
        return name in self._states

    def provider(self, name: str) -> Provider:
        return self.state(name).provider

    def token(self, name: str) -> Token:
        """The provider's token; logs in on first use."""
        __tracebackhide__ = True
        state = self.state(name)
        state.used = True
        return state.token_for_test(self._on_missing)

    def session(self, name: str) -> ApiSession:
        """The provider's ``requests.Session``: base URL, auth, timeouts, TLS and retries set."""
        __tracebackhide__ = True
        self.token(name)
        return self.state(name).session()

    def target(self, name: str) -> Target:
        """Where the provider's token works: ``deployment``, site ``url`` and ``api_url``.

        For requests a test makes itself with ``xray_token``; logs in on first use like
        :meth:`token`, so the target is the one the token was issued for.
        """
        __tracebackhide__ = True
        self.token(name)
        target = self.state(name).target
        assert target is not None
        return target

    def state(self, name: str) -> ProviderRun:
        try:
            return self._states[name]
        except KeyError:
            known = ", ".join(self._states)
            raise KeyError(f"no tm-auth provider named {name!r} (known: {known})") from None

    def __repr__(self) -> str:
        return f"<TmAuth providers={self.names}>"
