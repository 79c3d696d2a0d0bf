"""``--tm-auth-sandbox``: point every built-in provider at an in-process stand-in."""

from __future__ import annotations

import pytest

from pytest_tm_auth.core.values import Values
from pytest_tm_auth.run.plugin_base import SANDBOX_SOURCE, from_controller


def with_standin(config: pytest.Config, values: Values) -> Values:
    """``values`` pointed at a stand-in, as ``--tm-auth-sandbox`` asks.

    An xdist worker uses the controller's stand-in, and so its tokens. Only the settings
    this run declares are taken: a recipe's service may serve a provider it does not add.
    """
    if hasattr(config, "workerinput"):
        shared = from_controller(config).get("sandbox")
        if isinstance(shared, dict) and shared:
            return values.overridden(dict(shared), *SANDBOX_SOURCE)

    from pytest_tm_auth.sandbox import Sandbox

    sandbox = Sandbox().start()
    config.add_cleanup(sandbox.stop)
    config.hook.pytest_tm_auth_sandbox(sandbox=sandbox)
    declared = {name: text for name, text in sandbox.settings("cloud").items() if name in values}
    return values.overridden(declared, *SANDBOX_SOURCE)
