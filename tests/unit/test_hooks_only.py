"""Plugin objects list only their hooks, and pluggy still finds every one of them."""

from __future__ import annotations

import pluggy

from pytest_tm_auth.run.plugin_base import HooksOnly

hookspec = pluggy.HookspecMarker("demo")
hookimpl = pluggy.HookimplMarker("demo")


class Spec:
    @hookspec
    def pytest_first(self) -> None: ...

    @hookspec
    def pytest_second(self) -> None: ...


class Base(HooksOnly):
    @hookimpl
    def pytest_first(self) -> str:
        return "first"


class Plugin(Base):
    def __init__(self) -> None:
        self.state = "kept"

    @hookimpl
    def pytest_second(self) -> str:
        return "second"

    def helper(self) -> str:
        return self.state


def test_dir_lists_the_hooks_of_the_class_and_its_bases_only() -> None:
    plugin = Plugin()
    assert dir(plugin) == ["pytest_first", "pytest_second"]
    assert plugin.helper() == "kept"  # the rest is still there, only not listed


def test_pluggy_registers_every_listed_hook() -> None:
    manager = pluggy.PluginManager("demo")
    manager.add_hookspecs(Spec)
    manager.register(Plugin())
    assert manager.hook.pytest_first() == ["first"]
    assert manager.hook.pytest_second() == ["second"]
