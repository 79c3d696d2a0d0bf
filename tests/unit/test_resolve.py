"""Settings resolution: precedence, sources named, values converted, bad values worded."""

from __future__ import annotations

import pickle

import pytest

from pytest_tm_auth.core.errors import ConfigError
from pytest_tm_auth.core.values import Secret, Setting, Source
from pytest_tm_auth.settings.resolve import Sources, resolve
from pytest_tm_auth.settings.run_wide import CHECK, ON_MISSING, TIMEOUT

KEY = Setting("demo_key", "Demo API key", secret=True)
EVERY_SOURCE = Sources(
    options={"demo_key": "from-option"},
    environ={"DEMO_KEY": "from-env"},
    dotenv={"DEMO_KEY": "from-dotenv"},
    dotenv_files={"DEMO_KEY": ".env"},
    ini={"demo_key": "from-ini"},
    ini_name="pytest.ini",
)


def without(sources: Sources, *names: str) -> Sources:
    kept = {name: getattr(sources, name) for name in ("options", "environ", "dotenv", "ini")}
    for name in names:
        kept[name] = {}
    return Sources(**kept, dotenv_files=sources.dotenv_files, ini_name=sources.ini_name)


@pytest.mark.parametrize(
    ("removed", "value", "source"),
    [
        ((), "from-option", "the command line"),
        (("options",), "from-env", "env (DEMO_KEY)"),
        (("options", "environ"), "from-dotenv", ".env (.env)"),
        (("options", "environ", "dotenv"), "from-ini", "ini (pytest.ini)"),
    ],
)
def test_the_highest_source_wins_and_is_named(
    removed: tuple[str, ...], value: str, source: str
) -> None:
    values = resolve([KEY], without(EVERY_SOURCE, *removed))

    assert values.text("demo_key") == value
    assert str(values.source("demo_key")) == source
    assert values.describe("demo_key") == f"--demo-key from {source}"


def test_unset_values_take_the_default_and_empty_text_counts_as_unset() -> None:
    values = resolve([TIMEOUT, ON_MISSING, CHECK, KEY], Sources(environ={"DEMO_KEY": "  "}))

    assert values.number("tm_auth_timeout") == 10.0
    assert values.text("tm_auth_on_missing") == "skip"
    assert values.flag("tm_auth_check") is False
    assert values.get("demo_key") is None
    assert values.source("demo_key").kind == "default"


def test_secrets_are_secret_strings_listed_for_scrubbing_and_never_in_the_repr() -> None:
    values = resolve([KEY], Sources(environ={"DEMO_KEY": "demo-key-not-real"}))

    assert isinstance(values.get("demo_key"), Secret)
    assert values.secrets() == ["demo-key-not-real"]
    assert "demo-key-not-real" not in repr(values)


@pytest.mark.parametrize(
    ("setting", "text", "message"),
    [
        (
            TIMEOUT,
            "soon",
            r"Invalid value 'soon' for --tm-auth-timeout from env \(TM_AUTH_TIMEOUT\)",
        ),
        (ON_MISSING, "maybe", "expected one of skip, fail"),
        (CHECK, "perhaps", "expected one of 1/true/yes/on or 0/false/no/off"),
        (KEY, "two words", "contains a space or line break inside it"),
    ],
)
def test_a_bad_value_names_the_setting_and_its_source(
    setting: Setting, text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        resolve([setting], Sources(environ={setting.env: text}))
    if setting.secret:
        assert text not in str(raised.value)


def test_overridden_values_win_over_every_source_and_say_where_they_came_from() -> None:
    values = resolve([KEY], EVERY_SOURCE)

    changed = values.overridden({"demo_key": "from-hook"}, "hook", "conftest.py")
    unset = values.overridden({"demo_key": None}, "hook")

    assert changed.text("demo_key") == "from-hook"
    assert str(changed.source("demo_key")) == "the pytest_tm_auth_credentials hook (conftest.py)"
    assert unset.get("demo_key") is None
    assert values.text("demo_key") == "from-option"  # the original is unchanged
    with pytest.raises(ConfigError, match="supplied an unknown setting 'demo_url'"):
        values.overridden({"demo_url": "x"}, "hook")


def test_a_source_compares_hashes_and_shows_by_its_fields_as_a_named_tuple_did() -> None:
    """``Source`` is a ``Record``: equal by fields and type, one hash for equal values."""
    env = Source("env", "XRAY_CLIENT_ID")
    assert env == Source("env", "XRAY_CLIENT_ID")
    assert env != Source("env", "XRAY_CLIENT_SECRET")
    assert env != ("env", "XRAY_CLIENT_ID")  # not a tuple: read it by name
    assert len({env, Source("env", "XRAY_CLIENT_ID"), Source("ini")}) == 2
    assert repr(env) == "Source(kind='env', where='XRAY_CLIENT_ID')"
    assert str(Source("ini", "pytest.ini")) == "ini (pytest.ini)"


def test_the_contracts_values_keep_a_named_tuples_signature_and_replace() -> None:
    """``Setting``, ``Target`` and ``Login`` were named tuples: built by position or name,
    and copied with ``_replace``, as providers written for them do."""
    from pytest_tm_auth.core.provider import Target

    by_position = Setting("demo_token", "Demo token", True, None, (), False, None, "token")
    assert by_position == Setting("demo_token", "Demo token", secret=True, label="token")
    assert by_position.title == "token"
    target = Target("cloud", "https://demo.invalid", "https://demo.invalid/api/", ("demo_token",))
    moved = target._replace(api_url="https://gateway.invalid/api/")
    assert (moved.deployment, moved.url, moved.credentials) == (
        "cloud",
        target.url,
        ("demo_token",),
    )
    assert moved.api_url == "https://gateway.invalid/api/" != target.api_url
    again = Target(**{name: getattr(target, name) for name in Target.__slots__})
    assert again == target
    assert hash(again) == hash(target)
    assert again != moved
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):  # 0 and 1 too, as a named tuple
        assert pickle.loads(pickle.dumps(by_position, protocol)) == by_position
    assert repr(target).startswith("Target(deployment='cloud', url='https://demo.invalid',")
