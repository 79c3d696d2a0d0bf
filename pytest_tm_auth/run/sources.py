"""Gather the raw text of every setting from a pytest config: options, environment, ini."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

import pytest

from pytest_tm_auth.settings.model import Setting
from pytest_tm_auth.settings.resolve import Sources


def gather(
    config: pytest.Config, settings: Iterable[Setting], environ: Mapping[str, str] | None = None
) -> Sources:
    """The raw text of ``settings`` in the options, the environment and the ini file.

    Not the ``.env`` files: :mod:`pytest_tm_auth.settings.dotenv` finds and reads them.
    """
    settings = list(settings)
    environ = os.environ if environ is None else environ
    return Sources(
        options={s.name: config.getoption(s.name, default=None) for s in settings},
        # A copy, as at start: a test module changing os.environ later changes nothing.
        environ={s.env: environ[s.env] for s in settings if s.env in environ},
        ini={s.name: ini_text(config, s) for s in settings},
        ini_name=config.inipath.name if config.inipath else "ini",
    )


def ini_text(config: pytest.Config, setting: Setting) -> str:
    """The raw ini value of ``setting``, or ``""`` when unset or unknown to the ini parser."""
    try:
        value = config.getini(setting.ini)
    except ValueError:  # a provider registered after the ini keys were read
        return ""
    return value if isinstance(value, str) else ""
