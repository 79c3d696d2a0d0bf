"""The settings of publishing, by the names ``results/`` uses: declared in
:mod:`pytest_tm_auth.settings.run_wide`, which every run imports to declare them."""

from __future__ import annotations

from pytest_tm_auth.settings.run_wide import (
    ATTACH_OUTPUT,
    DRY_RUN,
    JOURNAL,
    ON_PUBLISH_FAILURE,
    RESULT_SETTINGS,
    SERVICE_SETTINGS,
    SWITCHES,
    XRAY_FIX_VERSION,
    XRAY_PROJECT,
    XRAY_PUBLISH,
    XRAY_REVISION,
    XRAY_STATUSES,
    XRAY_SUMMARY,
    XRAY_TEST_ENVIRONMENTS,
    XRAY_TEST_EXECUTION,
    XRAY_TEST_PLAN,
)

__all__ = [
    "ATTACH_OUTPUT",
    "DRY_RUN",
    "JOURNAL",
    "ON_PUBLISH_FAILURE",
    "RESULT_SETTINGS",
    "SERVICE_SETTINGS",
    "SWITCHES",
    "XRAY_FIX_VERSION",
    "XRAY_PROJECT",
    "XRAY_PUBLISH",
    "XRAY_REVISION",
    "XRAY_STATUSES",
    "XRAY_SUMMARY",
    "XRAY_TEST_ENVIRONMENTS",
    "XRAY_TEST_EXECUTION",
    "XRAY_TEST_PLAN",
]
