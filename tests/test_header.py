"""Which deployment and URL each provider uses, decided from settings alone, and the header.

No test here touches the network: the target of each provider (deployment, site URL and
API base) is decided at start-up, and the report header shows it with the source of each
credential, one ``tm-auth:`` line per provider, never a secret.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

RECORD_TARGETS = """
import json
from pathlib import Path


def test_record_targets(tm_auth):
    seen = {}
    for name in tm_auth.names:
        target = tm_auth.state(name).target
        seen[name] = None if target is None else [target.deployment, target.url, target.api_url]
    Path(__file__).with_name("targets.json").write_text(json.dumps(seen))
"""

XRAY_CLOUD = {"XRAY_CLIENT_ID": "fake-client-id-0001", "XRAY_CLIENT_SECRET": "fake-secret-0001"}
DC_JIRA = {"JIRA_URL": "https://jira.example.com", "JIRA_TOKEN": "fake-pat-0001"}
SECRETS = ("fake-secret-0001", "fake-pat-0001", "fake-zephyr-token-0001", "fake-password-0001")


@dataclass(frozen=True)
class Started:
    """What an inner run decided: each provider's target (or ``None``) and its header."""

    targets: dict[str, tuple[str, str, str] | None]
    header: list[str]
    output: str


def start(pytester: pytest.Pytester, *args: str) -> Started:
    pytester.makepyfile(test_record_targets=RECORD_TARGETS)
    result = pytester.runpytest("-p", "no:cacheprovider", *args)
    result.assert_outcomes(passed=1)
    raw = json.loads((pytester.path / "targets.json").read_text())
    targets = {
        name: None if item is None else (item[0], item[1], item[2]) for name, item in raw.items()
    }
    header = [line for line in result.outlines if line.startswith("tm-auth:")]
    return Started(targets, header, result.stdout.str() + result.stderr.str())


def set_environ(monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)


# The header


def test_header_names_deployment_url_and_the_source_of_each_credential(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_environ(monkeypatch, XRAY_CLOUD)
    (pytester.path / ".env").write_text("ZEPHYR_TOKEN=fake-zephyr-token-0001\n")

    started = start(pytester)

    assert started.header == [
        "tm-auth: xray cloud https://xray.cloud.getxray.app "
        "(client id fake…0001 from env, client secret from env)",
        "tm-auth: zephyr cloud https://api.zephyrscale.smartbear.com/v2 (token from .env)",
        "tm-auth: jira not configured",
    ]
    assert not [secret for secret in SECRETS if secret in started.output]


def test_header_for_data_center_names_the_shared_jira_credentials(
    pytester: pytest.Pytester,
) -> None:
    started = start(
        pytester, "--jira-url=https://jira.example.com/jira", "--jira-token=fake-pat-0001"
    )

    assert started.header == [
        f"tm-auth: {name} datacenter https://jira.example.com/jira (token from option)"
        for name in ("xray", "zephyr", "jira")
    ]
    assert "fake-pat-0001" not in started.output


def test_header_for_basic_auth_masks_the_user_and_hides_the_password(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIRA_URL", "https://jira.example.com")
    pytester.makefile(".ini", pytest="[pytest]\njira_username = fake-user-0001\n")
    (pytester.path / ".env").write_text("JIRA_PASSWORD=fake-password-0001\n")

    started = start(pytester, "-vv")

    assert started.header[2] == (
        "tm-auth: jira datacenter https://jira.example.com "
        "(username fake…0001 from ini, password from .env)"
    )
    assert "fake-password-0001" not in started.output


def test_header_says_when_nothing_is_configured(pytester: pytest.Pytester) -> None:
    started = start(pytester)

    assert started.header == [
        f"tm-auth: {name} not configured" for name in ("xray", "zephyr", "jira")
    ]


def test_quiet_runs_have_no_header(pytester: pytest.Pytester) -> None:
    started = start(pytester, "-q")

    assert started.header == []


# Deployment detection (auto) and API bases

XRAY_GLOBAL = ("cloud", "https://xray.cloud.getxray.app", "https://xray.cloud.getxray.app/api/v2/")
ZEPHYR_GLOBAL = (
    "cloud",
    "https://api.zephyrscale.smartbear.com/v2",
    "https://api.zephyrscale.smartbear.com/v2/",
)
JIRA_CLOUD = ("cloud", "https://acme.atlassian.net", "https://acme.atlassian.net/rest/api/2/")


def datacenter(site: str) -> dict[str, tuple[str, str, str] | None]:
    """Xray, Zephyr Scale and Jira Data Center all under one Jira site (context path kept)."""
    return {
        "xray": ("datacenter", site, f"{site}/rest/raven/2.0/"),
        "zephyr": ("datacenter", site, f"{site}/rest/atm/1.0/"),
        "jira": ("datacenter", site, f"{site}/rest/api/2/"),
    }


DETECTION = [
    pytest.param(
        XRAY_CLOUD,
        {"xray": XRAY_GLOBAL, "zephyr": None, "jira": None},
        id="xray-client-id-means-xray-cloud",
    ),
    pytest.param(
        {"ZEPHYR_TOKEN": "fake-zephyr-token-0001"},
        {"xray": None, "zephyr": ZEPHYR_GLOBAL, "jira": None},
        id="zephyr-token-means-zephyr-cloud",
    ),
    pytest.param(
        DC_JIRA,
        datacenter("https://jira.example.com"),
        id="jira-url-and-pat-mean-data-center-for-all",
    ),
    pytest.param(
        {**DC_JIRA, "JIRA_URL": "https://jira.example.com/jira/"},
        datacenter("https://jira.example.com/jira"),
        id="data-center-context-path-kept",
    ),
    pytest.param(
        {
            "JIRA_URL": "https://jira.example.com",
            "JIRA_USERNAME": "fake-user-0001",
            "JIRA_PASSWORD": "fake-password-0001",
        },
        datacenter("https://jira.example.com"),
        id="data-center-basic-auth",
    ),
    pytest.param(
        {"JIRA_URL": "https://jira.example.com"},
        {"xray": None, "zephyr": None, "jira": None},
        id="jira-url-without-credentials-configures-nothing",
    ),
    pytest.param(
        {
            "JIRA_URL": "https://acme.atlassian.net",
            "JIRA_USERNAME": "fake.user@example.com",
            "JIRA_TOKEN": "fake-pat-0001",
        },
        {"xray": None, "zephyr": None, "jira": JIRA_CLOUD},
        id="atlassian-net-means-jira-cloud-only",
    ),
    pytest.param(
        {
            **XRAY_CLOUD,
            "ZEPHYR_TOKEN": "fake-zephyr-token-0001",
            "JIRA_URL": "https://acme.atlassian.net",
            "JIRA_USERNAME": "fake.user@example.com",
            "JIRA_TOKEN": "fake-pat-0001",
        },
        {"xray": XRAY_GLOBAL, "zephyr": ZEPHYR_GLOBAL, "jira": JIRA_CLOUD},
        id="all-cloud",
    ),
    pytest.param(
        {
            **DC_JIRA,
            "XRAY_URL": "https://xray.example.com/jira",
            "ZEPHYR_URL": "https://tm.example.com/atm",
        },
        {
            **datacenter("https://jira.example.com"),
            "xray": (
                "datacenter",
                "https://xray.example.com/jira",
                "https://xray.example.com/jira/rest/raven/2.0/",
            ),
            "zephyr": ("datacenter", "https://jira.example.com", "https://tm.example.com/atm/"),
        },
        id="data-center-explicit-xray-and-zephyr-urls",
    ),
]


@pytest.mark.parametrize(("environ", "expected"), DETECTION)
def test_auto_deployment_is_decided_from_the_credentials_given(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],
    expected: dict[str, tuple[str, str, str] | None],
) -> None:
    set_environ(monkeypatch, environ)

    assert start(pytester).targets == expected


@pytest.mark.parametrize(
    ("region", "url"),
    [
        ("global", "https://xray.cloud.getxray.app"),
        ("us", "https://us.xray.cloud.getxray.app"),
        ("eu", "https://eu.xray.cloud.getxray.app"),
        ("au", "https://au.xray.cloud.getxray.app"),
    ],
)
def test_xray_region_picks_the_documented_url(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, region: str, url: str
) -> None:
    set_environ(monkeypatch, {**XRAY_CLOUD, "XRAY_REGION": region})

    assert start(pytester).targets["xray"] == ("cloud", url, f"{url}/api/v2/")


@pytest.mark.parametrize(
    ("region", "api"),
    [
        ("global", "https://api.zephyrscale.smartbear.com/v2/"),
        ("eu", "https://eu.api.zephyrscale.smartbear.com/v2/"),
    ],
)
def test_zephyr_region_picks_the_documented_url(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, region: str, api: str
) -> None:
    set_environ(monkeypatch, {"ZEPHYR_TOKEN": "fake-zephyr-token-0001", "ZEPHYR_REGION": region})

    assert start(pytester).targets["zephyr"] == ("cloud", api.rstrip("/"), api)


def test_an_explicit_xray_url_overrides_the_region(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_environ(monkeypatch, {**XRAY_CLOUD, "XRAY_REGION": "eu"})

    started = start(pytester, "--xray-url=https://xray.example.com/")

    assert started.targets["xray"] == (
        "cloud",
        "https://xray.example.com",
        "https://xray.example.com/api/v2/",
    )


def test_an_explicit_deployment_wins_over_auto_detection(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Jira Cloud-looking host behind a custom domain can be declared Data Center."""
    set_environ(monkeypatch, {**DC_JIRA, "JIRA_URL": "https://acme.atlassian.net"})

    started = start(pytester, "--jira-deployment=datacenter")

    assert started.targets == datacenter("https://acme.atlassian.net")
