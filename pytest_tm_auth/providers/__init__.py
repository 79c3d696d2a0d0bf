"""The built-in providers: Xray, Zephyr Scale and Jira, added through the public hook."""

from __future__ import annotations

from pytest_tm_auth.core.provider import Provider


def built_in() -> list[Provider]:
    """A fresh instance of each built-in provider, in header order."""
    from pytest_tm_auth.providers.jira import Jira
    from pytest_tm_auth.providers.oauth import Grants
    from pytest_tm_auth.providers.xray import Xray
    from pytest_tm_auth.providers.zephyr import Zephyr

    grants = Grants()  # Data Center: one OAuth access token for Jira, Xray and Zephyr Scale
    return [Xray(grants), Zephyr(grants), Jira(grants)]
