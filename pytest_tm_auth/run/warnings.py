"""The plugin's warnings: pytest warnings, so ``-W`` and ``filterwarnings`` select them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_tm_auth.core.values import Values


class TmAuthWarning(pytest.PytestWarning):
    """Base of the plugin's warnings; never raised directly."""


class SecretInIniWarning(TmAuthWarning):
    """A secret is written literally in a committed ini file."""


class InsecureTransportWarning(TmAuthWarning):
    """TLS verification is off: anyone on the path can read the credentials."""


class TokenStoreWarning(TmAuthWarning):
    """The remembered-token store could not be used; the run logs in normally."""


class ShortSecretWarning(TmAuthWarning):
    """A secret cannot be hidden safely: under 4 characters it is not hidden at all, under 8
    only where it stands alone."""


class CommonWordSecretWarning(ShortSecretWarning):
    """A secret is a common word (``password``): hidden only where it stands alone, so
    ordinary text using the word shows ``***``."""


class DebugTraceWarning(TmAuthWarning):
    """``--debug`` writes pytest's hook trace, which no plugin can filter, with the secrets."""


class TokenExpiryWarning(TmAuthWarning):
    """A token's expiry cannot be read as a time: it is used, but never renewed ahead."""


class ExpiringCredentialWarning(TmAuthWarning):
    """A configured credential (a Zephyr Scale Cloud token) expires within 14 days."""


class UnencryptedGatewayWarning(TmAuthWarning):
    """An xdist worker behind an unencrypted ``--tx socket=`` gateway logs in itself."""


class StoredCredentialWarning(TmAuthWarning):
    """A secret ``pytest-tm-auth login`` stored cannot be read: the keyring is missing, locked,
    or the entry is gone. The provider is then not configured (its tests are skipped)."""


#: Where a warning points: a file (and line) of the user's, or a setting's name and source.
Place = tuple[str, int]


def line_of(path: str, key: str) -> int:
    """The line of ``path`` that sets ``key`` (``key =``, ``key:``, ``def key``), else 1."""
    import re

    pattern = re.compile(rf"^\s*(?:export\s+|def\s+)?{re.escape(key)}\s*[=:(]")
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            for number, line in enumerate(file, 1):
                if pattern.match(line):
                    return number
    except OSError:
        pass
    return 1


def setting_place(values: Values, name: str, root: str = "") -> Place:
    """Where the value of setting ``name`` was set: its ini or ``.env`` line, the credentials
    hook's file, else the variable or option itself (``ZEPHYR_TOKEN (environment)``)."""
    import os

    from pytest_tm_auth.core.login_step import HOOK

    setting, source = values.setting(name), values.source(name)
    if source.kind in ("ini", ".env") and source.where:
        path = os.path.join(root, source.where)
        key = setting.ini if source.kind == "ini" else setting.env
        return path, line_of(path, key)
    if source.kind == HOOK and source.where:
        path = os.path.join(root, source.where.split(", ")[0])
        return path, line_of(path, "pytest_tm_auth_credentials")
    if source.kind == "env":
        return f"{setting.env} (environment)", 1
    return f"{setting.option} ({source})", 1


def _without_source_line(filename: str) -> None:
    """A warning's summary quotes its line of source, read at display time, unscrubbed: the
    line of an ini or ``.env`` file that sets a secret holds it. Python's line cache is told
    the file has no lines (an entry without a time is never reread)."""
    import linecache

    if not filename.endswith(".py"):  # a conftest's lines are its code: tracebacks need them
        linecache.cache[filename] = (0, None, [], filename)


def warn_at(warning: Warning, place: Place) -> None:
    """Issue ``warning`` as if raised at ``place``: the user's file or setting, not ours."""
    import warnings

    filename, lineno = place
    _without_source_line(filename)
    warnings.warn_explicit(warning, type(warning), filename, lineno, module="pytest_tm_auth")


def warn_in_login(warning: TmAuthWarning, place: Place) -> None:
    """Issue ``warning`` at ``place`` while a login runs; where ``-W error`` makes it an
    error, the login fails with one line naming the warning, not a traceback."""
    try:
        warn_at(warning, place)
    except TmAuthWarning:
        from pytest_tm_auth.core.errors import TmAuthError

        name = type(warning).__name__
        raise TmAuthError(
            f"{warning}; -W error made this {name} an error, so the login failed "
            f"— add -W default::pytest_tm_auth.{name} after it to use the token"
        ) from None


def issue_at(config: pytest.Config, warning: Warning, place: Place) -> None:
    """``config.issue_config_time_warning``, its location ``place``.

    pytest takes the location from the frame ``stacklevel`` up (its documented meaning), and
    has no parameter for a location of a file it did not run: so the call is made from a
    frame compiled as if at ``place`` (the ini file's line of the setting, say).
    """
    filename, lineno = place
    _without_source_line(filename)
    code = compile("\n" * (lineno - 1) + "issue(warning, stacklevel=2)", filename, "exec")
    scope = {"__name__": "pytest_tm_auth", "issue": config.issue_config_time_warning}
    exec(code, scope | {"warning": warning})  # a fixed call, compiled just above
