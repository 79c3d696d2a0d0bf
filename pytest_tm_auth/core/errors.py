"""The plugin's exceptions, each carrying one sentence a user can act on, and the text a
server wrote made inert before any such sentence quotes it.

Plain exceptions, so that the core can raise them without pytest; the run layer turns them
into pytest outcomes at one boundary (:mod:`pytest_tm_auth.run.plugin_base`).

A body, a reason or a header comes from whoever answered: a proxy, a test instance, an
attacker. Printed as it is, an escape sequence could retitle the terminal, clear the screen
or hide the rest of the line, and a long body could drown the message. :func:`inert` keeps
the words and drops everything a terminal would act on.
"""

from __future__ import annotations

import re
import unicodedata


class TmAuthError(Exception):
    """Base of the plugin's errors; ``str()`` is the whole user-facing message."""


class ConfigError(TmAuthError):
    """A setting has an invalid value; becomes ``pytest.UsageError`` at start."""


class MissingCredentials(TmAuthError):
    """A provider is not configured; tests that need it are skipped (or fail)."""


class RenewalsRefused(TmAuthError):
    """The service refused every renewed token of a provider, renewal after renewal: the
    run's renewal budget is spent, so no more logins are made for it for a while (not a
    failed login: the budget comes back as its window moves on)."""


class AuthError(TmAuthError):
    """Logging in failed; tests that need the provider error with this one message.

    ``credentials_refused`` says the service refused the credentials themselves (a 401 by
    default, or Jira's login denial): other providers sharing them will not try them again.
    """

    def __init__(
        self,
        provider: str,
        url: str,
        problem: str,
        *,
        fix: str = "",
        status: int | None = None,
        credentials_refused: bool | None = None,
    ) -> None:
        self.provider = provider
        self.url = url
        self.problem = problem
        self.fix = fix
        self.status = status
        self.credentials_refused = (
            status == 401 if credentials_refused is None else credentials_refused
        )
        message = f"{provider} login failed at {url}: {problem}"
        if fix:
            message += f" — {fix}"
        super().__init__(message)

    def derived(
        self,
        *,
        provider: str | None = None,
        url: str | None = None,
        problem: str | None = None,
        fix: str | None = None,
    ) -> AuthError:
        """This failure told another way (another provider, URL, problem or fix), with every
        mark it carries: its status, and whether the credentials themselves were refused (the
        mark that keeps other providers from trying an account towards Jira's lock)."""
        return AuthError(
            self.provider if provider is None else provider,
            self.url if url is None else url,
            self.problem if problem is None else problem,
            fix=self.fix if fix is None else fix,
            status=self.status,
            credentials_refused=self.credentials_refused,
        )


#: How many characters of a server's text a message quotes at most.
QUOTE_LIMIT = 160

# ESC [ ... final byte (CSI), ESC ] ... BEL or ESC \ (OSC), ESC P/X/^/_ ... ST, ESC + one byte;
# and their one-byte C1 forms (U+009B CSI, U+009D OSC, ...). Compiled by ``re`` at the first
# quote, not at import: a login that succeeds quotes nothing.
_ESCAPES = (
    r"(?s)(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|$)"
    r"|\x1b.?"
)
_SPACE = r"\s+"


def inert(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` on one line, without escape sequences or control or format characters
    (each replaced by ``?``), cut to ``limit`` characters with an ellipsis."""
    text = re.sub(_ESCAPES, "?", text[: limit * 8])
    text = re.sub(_SPACE, " ", text)
    kept = "".join("?" if unicodedata.category(ch)[0] == "C" else ch for ch in text).strip()
    return kept if len(kept) <= limit else kept[: limit - 1] + "…"
