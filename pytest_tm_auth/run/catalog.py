"""Every setting and provider of the run, collected as plugins register them.

Each setting becomes an option in the ``tm-auth`` help group (its help names the
environment variable) and an ini key, declared once. :func:`option_arguments` is how a
setting is an option, in ``pytest --help`` and ``pytest-tm-auth login --help`` alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeGuard

from pytest_tm_auth.core.values import Setting

if TYPE_CHECKING:  # the command's help reads option_arguments without importing pytest
    import pytest

    from pytest_tm_auth.core.provider import Provider

GROUP = "tm-auth"


class Catalog:
    """The run's settings and providers, in registration order."""

    def __init__(self, parser: pytest.Parser) -> None:
        from pytest_tm_auth import _compat  # here: the command's help imports no pytest

        self._add_option = _compat.add_option
        self._parser = parser
        self._group = parser.getgroup(GROUP, "test-management authentication (pytest-tm-auth)")
        self.settings: dict[str, Setting] = {}
        self.providers: dict[str, Provider] = {}
        #: Set once the run's providers are built: a provider arriving later would be ignored.
        self.closed = False

    def add_settings(self, settings: Iterable[Setting]) -> None:
        for setting in settings:
            known = self.settings.get(setting.name)
            if known is setting:
                continue
            if known is not None:
                raise _usage(f"tm-auth setting {setting.name!r} is declared twice")
            self.settings[setting.name] = setting
            self._declare(setting)

    def add_providers(self, providers: Iterable[Provider] | None) -> None:
        """Result callback of ``pytest_tm_auth_add_providers``: check and declare each one."""
        providers = list(providers or ())
        if providers and self.closed:
            names = ", ".join(repr(getattr(p, "name", p)) for p in providers)
            raise _usage(
                f"tm-auth provider {names} was added after startup, by a conftest.py that pytest "
                "loaded during collection: add it from the rootdir's conftest.py (or one in a "
                "directory given on the command line, or a plugin)"
            )
        for provider in providers:
            name = getattr(provider, "name", None)
            if not _is_provider_name(name):
                raise _usage(f"tm-auth provider name must be lowercase letters/digits: {name!r}")
            if name in self.providers:
                raise _usage(f"tm-auth provider {name!r} is added twice")
            settings = getattr(provider, "settings", None)
            # `settings = (Setting(...))` lacks its comma: one Setting, not a tuple of them.
            if (
                settings is None
                or isinstance(settings, (Setting, str))
                or not all(isinstance(setting, Setting) for setting in settings)
            ):
                raise _usage(
                    f"tm-auth provider {name!r}: settings must be a tuple of Setting objects "
                    "(a single one needs a trailing comma: `settings = (Setting(...),)`)"
                )
            for setting in provider.settings:
                if not setting.name.startswith(name + "_") and setting.name not in self.settings:
                    raise _usage(
                        f"tm-auth provider {name!r}: setting {setting.name!r} must start with "
                        f"{name + '_'!r}"
                    )
            self.add_settings(provider.settings)
            self.providers[name] = provider

    def _declare(self, setting: Setting) -> None:
        self._add_option(self._group, setting.option, **option_arguments(setting))
        self._parser.addini(setting.ini, f"{setting.help} (tm-auth)", type="string")


def option_arguments(setting: Setting) -> dict[str, Any]:
    """The option's arguments for argparse (pytest's ``addoption`` takes the same): unset
    by default, so the environment and ini still count; the help names the variable."""
    arguments: dict[str, Any] = {
        "default": None,
        "dest": setting.name,
        "help": f"{setting.help} [env {setting.env}]",
    }
    if setting.flag:
        return {**arguments, "action": "store_true"}
    return {**arguments, "metavar": metavar(setting)}


def metavar(setting: Setting) -> str:
    """``{cloud,datacenter,auto}`` for a choice, else the setting's own, else ``VALUE``."""
    if setting.choices:
        return "{" + ",".join(setting.choices) + "}"
    return setting.metavar or ("SECRET" if setting.secret else "VALUE")


def _usage(message: str) -> Exception:
    import pytest

    return pytest.UsageError(message)


def _is_provider_name(name: object) -> TypeGuard[str]:
    """Lowercase ASCII letters and digits, starting with a letter (string methods: no regex
    to compile at every start)."""
    return (
        isinstance(name, str)
        and name.isascii()
        and name.isalnum()
        and name[:1].isalpha()
        and name == name.lower()
    )
