"""The team's hooks as the login step calls them: pluggy's hook caller, outcomes translated."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_tm_auth.run.outcomes import from_hook

if TYPE_CHECKING:
    from pytest_tm_auth.core.provider import Login, Provider
    from pytest_tm_auth.core.token import Token


class PytestHooks:
    """Implements :class:`~pytest_tm_auth.core.login.Hooks` with the run's registered hooks."""

    #: A hook's ``pytest.exit`` ends the run: the login step lets it through.
    stops_run: tuple[type[BaseException], ...] = (pytest.exit.Exception,)

    def __init__(self, config: pytest.Config) -> None:
        self._config = config

    def credentials(self, provider: Provider) -> Mapping[str, str | None] | None:
        hook = self._config.hook.pytest_tm_auth_credentials
        supplied: Mapping[str, str | None] | None = from_hook(
            lambda: hook(provider=provider, config=self._config)
        )
        return supplied

    def authenticate(self, login: Login) -> Token | None:
        hook = self._config.hook.pytest_tm_auth_authenticate
        token: Token | None = from_hook(lambda: hook(login=login))
        return token

    def authenticated(self, provider: Provider, token: Token) -> None:
        hook = self._config.hook.pytest_tm_auth_authenticated
        from_hook(lambda: hook(provider=provider, token=token))

    def credentials_where(self) -> str:
        """Where the credentials hooks are implemented: ``conftest.py``, a plugin's name."""
        places = []
        for impl in reversed(self._config.hook.pytest_tm_auth_credentials.get_hookimpls()):
            file = getattr(impl.plugin, "__file__", None)
            if isinstance(file, str):
                path = Path(file)
                root = self._config.rootpath
                places.append(str(path.relative_to(root)) if path.is_relative_to(root) else file)
            else:
                places.append(impl.plugin_name)
        return ", ".join(dict.fromkeys(places))
