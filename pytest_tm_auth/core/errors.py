"""The plugin's exceptions: each carries one sentence a user can act on.

Plain exceptions, so that the core can raise them without pytest; the run layer turns them
into pytest outcomes at one boundary (:mod:`pytest_tm_auth.run.plugin_base`).
"""

from __future__ import annotations


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
