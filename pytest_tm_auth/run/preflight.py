"""Checks and warnings at start: URLs, the CA bundle, secrets in ini files, TLS off."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_tm_auth.core.errors import ConfigError
from pytest_tm_auth.core.urls import checked_url
from pytest_tm_auth.core.values import Setting, Values
from pytest_tm_auth.settings.run_wide import ALLOW_HTTP, CA_BUNDLE, INSECURE

if TYPE_CHECKING:
    from pytest_tm_auth.run.warnings import Place


def check_transport(values: Values, *, allow_http: bool | None = None) -> None:
    """Every URL and the CA bundle, so that a typo stops the run even for a provider no test
    uses. ``allow_http`` overrides the setting (before a ``.env`` file can set it)."""
    if allow_http is None:
        allow_http = values.flag(ALLOW_HTTP.name)
    for item in values.resolved.values():
        if item.setting.url and isinstance(item.value, str) and item.value:
            checked_url(item.value, values.describe(item.setting.name), allow_http=allow_http)
    bundle = values.text(CA_BUNDLE.name)
    if bundle:
        check_ca_bundle(Path(bundle), values.describe(CA_BUNDLE.name))


def check_ca_bundle(path: Path, where: str) -> None:
    """The CA bundle is a file of PEM certificates, parsed now: not at the first handshake,
    where a bad bundle would read as the server's certificate being refused."""
    if path.is_dir():
        raise ConfigError(f"CA bundle {str(path)!r} in {where} is a directory, not a file")
    if not path.is_file():
        raise ConfigError(f"CA bundle {str(path)!r} in {where} does not exist")
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cafile=str(path))
    except (ssl.SSLError, OSError, ValueError) as exc:
        why = getattr(exc, "reason", None) or type(exc).__name__
        raise ConfigError(
            f"CA bundle {str(path)!r} in {where} holds no certificate that can be read "
            f"({why}): pass a file of PEM certificates"
        ) from None
    if not context.get_ca_certs():
        raise ConfigError(
            f"CA bundle {str(path)!r} in {where} holds no CA certificate: pass a file of PEM "
            "certificates of the CAs to trust"
        )


def warn_about_ini_secrets(config: pytest.Config, settings: Sequence[Setting]) -> None:
    ini_name = config.inipath.name if config.inipath else "the ini file"
    for setting in settings:
        # Warn even when a higher source wins: the secret is still in a committed file.
        if setting.secret and ini_text(config, setting).strip():
            from pytest_tm_auth.run.warnings import SecretInIniWarning, line_of  # when one is due

            warn(
                config,
                SecretInIniWarning(
                    f"{setting.ini} is a secret written in {ini_name}, a file "
                    f"that is usually committed: set {setting.env} in the environment "
                    "or a .env file instead"
                ),
                (str(config.inipath), line_of(str(config.inipath), setting.ini)),
            )


def warn_about_exposure(config: pytest.Config, values: Values, said: set[str]) -> None:
    """Say where a secret cannot be hidden: too short to find, or in ``--debug``'s trace.

    ``said`` holds what was said already, so that a second look (once ``.env`` is read)
    adds only what is new.
    """
    from pytest_tm_auth.core.scrub import SHORT_SECRET, how_hidden

    for item in values.resolved.values():
        value, name = item.value, item.setting.name
        if not (item.setting.secret and isinstance(value, str) and value) or name in said:
            continue
        weak = how_hidden(value)
        if weak is not None:
            said.add(name)
            from pytest_tm_auth.run.warnings import (  # loaded when one is due
                CommonWordSecretWarning,
                ShortSecretWarning,
                setting_place,
            )

            short = len(value) < SHORT_SECRET  # else a common word
            kind = ShortSecretWarning if short else CommonWordSecretWarning
            advice = "use a longer secret" if short else "use a secret that is not a word"
            warn(
                config,
                kind(f"{values.describe(name)} {weak}; {advice}"),
                setting_place(values, name, ini_folder(config)),
            )
    trace = getattr(config.option, "debug", None)
    if trace and values.secrets() and "--debug" not in said:
        said.add("--debug")
        from pytest_tm_auth.run.warnings import DebugTraceWarning

        name = trace if isinstance(trace, str) else "pytestdebug.log"  # --debug=FILE
        warn(
            config,
            DebugTraceWarning(
                f"--debug writes pytest's hook trace to its log file ({name}), and the "
                "trace holds the configured secrets and issued tokens in clear: delete the "
                "file after use and never publish it"
            ),
            ("--debug (command line)", 1),
        )


def insecure_warning(values: Values) -> Warning:
    from pytest_tm_auth.run.warnings import InsecureTransportWarning

    return InsecureTransportWarning(
        f"TLS verification is OFF ({values.describe(INSECURE.name)}): anyone on "
        "the network path can read the credentials; use --tm-auth-ca-bundle instead"
    )


def ini_folder(config: pytest.Config) -> str:
    """The folder an ini file's name is relative to (the rootdir without one)."""
    return str(config.inipath.parent if config.inipath else config.rootpath)


def warn(config: pytest.Config, warning: Warning, place: Place) -> None:
    """A configuration warning, pointing at ``place`` (the setting's line, or its name):
    one usage-error line where warnings are errors (``-W error``)."""
    from pytest_tm_auth.run.warnings import issue_at

    try:
        issue_at(config, warning, place)
    except Warning as raised:
        raise ConfigError(f"{type(raised).__name__}: {raised}") from None


def ini_text(config: pytest.Config, setting: Setting) -> str:
    """The raw ini value of ``setting``, or ``""`` when unset or unknown to the ini parser."""
    try:
        value = config.getini(setting.ini)
    except ValueError:  # a provider registered after the ini keys were read
        return ""
    return value if isinstance(value, str) else ""
