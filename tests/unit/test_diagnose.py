"""Diagnosis: the generic reading of a refused login, and each provider's own advice."""

from __future__ import annotations

import pytest

from pytest_tm_auth.http.diagnose import (
    NOT_FOUND_FIX,
    UNAVAILABLE_FIX,
    Advice,
    Refusal,
    explain,
)
from pytest_tm_auth.providers import atlassian, xray

URL = "https://demo.invalid/login"


def refusal(status: int, reason: str = "", **headers: str) -> Refusal:
    return Refusal(status, reason, {name.replace("_", "-"): v for name, v in headers.items()})


@pytest.mark.parametrize(
    ("status", "fix"),
    [
        (400, "the service rejected the login request; check the format of the key"),
        (401, "check the key"),
        (403, "the key were refused: the account lacks permission, or is not valid here"),
        (404, NOT_FOUND_FIX),
        (429, UNAVAILABLE_FIX),
        (503, UNAVAILABLE_FIX),
        (418, ""),
    ],
)
def test_each_status_has_its_generic_fix(status: int, fix: str) -> None:
    error = explain("Demo", URL, refusal(status, "said no"), credentials="the key")

    assert error.fix == fix
    assert error.problem == f"HTTP {status}: said no"
    assert error.credentials_refused is (status == 401)
    assert str(error).startswith(f"Demo login failed at {URL}: HTTP {status}: said no")


def test_a_providers_fix_for_a_status_wins_over_the_generic_one() -> None:
    error = explain("Demo", URL, refusal(401), fixes={401: "make a new key"}, retries=" after 2")

    assert (error.fix, error.problem) == ("make a new key", "HTTP 401 after 2")


def test_advice_wins_over_fixes_and_may_say_the_credentials_were_refused() -> None:
    def advice(seen: Refusal) -> Advice | None:
        return Advice("do this", refused=True) if seen.status == 403 else None

    advised = explain("Demo", URL, refusal(403), fixes={403: "not this"}, advice=advice)
    plain = explain("Demo", URL, refusal(401), fixes={401: "this"}, advice=advice)

    assert (advised.fix, advised.credentials_refused) == ("do this", True)
    assert (plain.fix, plain.credentials_refused) == ("this", True)


def test_jira_asking_for_a_captcha_is_named_and_counts_as_a_refusal() -> None:
    advice = atlassian.advice("datacenter", "--jira-deployment")

    error = explain(
        "Jira", URL, refusal(403, X_Seraph_LoginReason="AUTHENTICATION_DENIED"), advice=advice
    )

    assert error.fix == atlassian.CAPTCHA_FIX
    assert error.credentials_refused


def test_a_failed_jira_login_keeps_the_providers_fix_but_counts_as_a_refusal() -> None:
    advice = atlassian.advice("datacenter", "--jira-deployment")
    seen = refusal(403, X_Seraph_LoginReason="OUT, AUTHENTICATED_FAILED")

    error = explain("Jira", URL, seen, fixes={403: "the usual"}, advice=advice)

    assert (error.fix, error.credentials_refused) == ("the usual", True)


def test_a_cloud_provider_answered_by_a_data_center_says_so_with_its_own_option() -> None:
    advice = atlassian.advice("cloud", "--zephyr-deployment")

    error = explain("Zephyr Scale", URL, refusal(401, X_Seraph_LoginReason="OK"), advice=advice)

    assert error.fix.endswith("--zephyr-deployment=datacenter")
    assert atlassian.advice("datacenter", "--zephyr-deployment")(refusal(401)) is None


def test_a_password_on_jira_cloud_gets_the_api_token_fix() -> None:
    advice = atlassian.advice("cloud", "--jira-deployment")
    said = "Basic authentication with passwords is deprecated."

    assert explain("Jira", URL, refusal(401, said), advice=advice).fix == atlassian.PASSWORD_FIX


@pytest.mark.parametrize(
    ("reason", "fix"),
    [
        ("Xray data is in another region. Contact support.", xray.REGION_FIX),
        ("The Xray license is not valid", xray.LICENSE_FIX),
    ],
)
def test_xray_clouds_own_refusals(reason: str, fix: str) -> None:
    assert explain("Xray", URL, refusal(401, reason), advice=xray.cloud_advice).fix == fix


def test_a_license_refusal_is_xrays_only_for_xray() -> None:
    """Vendor advice lives with its provider: the Atlassian advice knows no Xray license."""
    zephyr_advice = atlassian.advice("cloud", "--zephyr-deployment")

    error = explain(
        "Zephyr Scale", URL, refusal(401, "The license is not valid"), advice=zephyr_advice
    )

    assert error.fix == "check the credentials"
