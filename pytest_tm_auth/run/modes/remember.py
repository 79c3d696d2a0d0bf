"""``--tm-auth-remember`` and ``--tm-auth-reset``: remembered tokens for the run's logins."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from pytest_tm_auth.core.accounts import store_key
from pytest_tm_auth.core.values import Values
from pytest_tm_auth.run.state import ProviderRun
from pytest_tm_auth.run.warnings import TokenStoreWarning
from pytest_tm_auth.settings.run_wide import CHECK, REMEMBER, RESET


def attach_memory(
    config: pytest.Config, values: Values, states: Mapping[str, ProviderRun], *, reset: bool
) -> None:
    """Give every provider's login the run's token memory; forget first under a reset."""
    from pytest_tm_auth.store.memory import TokenMemory

    remember = values.flag(REMEMBER.name)

    def warn(text: str) -> None:
        from pytest_tm_auth.run.preflight import ini_folder
        from pytest_tm_auth.run.warnings import issue_at, setting_place

        setting = REMEMBER.name if remember else RESET.name
        place = setting_place(values, setting, ini_folder(config))
        issue_at(config, TokenStoreWarning(f"tm-auth: {text}"), place)

    # --tm-auth-check tries the credentials: it logs in even when a token is remembered.
    reuse = remember and not reset and not values.flag(CHECK.name)
    memory = TokenMemory(warn, reuse=reuse, remember=remember)
    if reset:
        memory.forget(
            store_key(state.provider, state.target, state.values)
            for state in states.values()
            if state.target is not None
        )
    for state in states.values():
        state.login.environment.memory = memory
