"""``--tm-auth-sandbox``: point every built-in provider at an in-process stand-in."""

from __future__ import annotations

import pytest

from pytest_tm_auth.settings.model import Values

SOURCE = ("sandbox", "--tm-auth-sandbox")


def with_standin(config: pytest.Config, values: Values) -> Values:
    """``values`` pointed at a stand-in, as ``--tm-auth-sandbox`` asks.

    An xdist worker uses the controller's stand-in, and so its tokens. Only the settings
    this run declares are taken: a recipe's service may serve a provider it does not add.
    """
    if hasattr(config, "workerinput"):
        from pytest_tm_auth.run.xdist import shared_sandbox

        shared = shared_sandbox(config)
        if shared is not None:
            return values.overridden(shared, *SOURCE)

    from pytest_tm_auth.sandbox import Sandbox

    sandbox = Sandbox().start()
    config.add_cleanup(sandbox.stop)
    config.hook.pytest_tm_auth_sandbox(sandbox=sandbox)
    declared = {name: text for name, text in sandbox.settings("cloud").items() if name in values}
    return values.overridden(declared, *SOURCE)


def standin_settings(values: Values) -> dict[str, str]:
    """The settings ``--tm-auth-sandbox`` gave, as plain data for xdist workers."""
    return {
        name: str(item.value)
        for name, item in values.resolved.items()
        if item.source.kind == SOURCE[0] and item.value is not None
    }
