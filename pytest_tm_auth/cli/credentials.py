"""The stored credentials' commands: ``pytest-tm-auth login PROVIDER`` asks for the missing
secrets, logs in, then stores them; ``logout [PROVIDER]`` removes what ``login`` stored,
from keyring and index; ``status`` says which secrets are stored for which site, never their
values, and which providers a run with this shell's settings gives each one to.

The login is the run's own: the provider's code behind the same login step
(:class:`~pytest_tm_auth.run.state.ProviderRun`), so a refusal is the same one line a test
would get. Nothing is stored unless that login succeeded. A secret two providers' logins
stored (one Jira token for Xray and Jira Data Center) stays until the last of them logs
out. Keyring and index change together under the index's lock.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from pytest_tm_auth.core.errors import ConfigError, MissingCredentials, TmAuthError
from pytest_tm_auth.core.values import KEYRING, Setting, Source, Values
from pytest_tm_auth.store.base import StoreError
from pytest_tm_auth.store.keyring_store import KeyringSecrets, NoKeyring, describe
from pytest_tm_auth.store.stored_index import Stored, StoredIndex

if TYPE_CHECKING:
    from pytest_tm_auth.core.provider import Login, Provider, Target
    from pytest_tm_auth.core.scrub import Scrubber
    from pytest_tm_auth.core.token import Token
    from pytest_tm_auth.run.state import ProviderRun

# The run's login path (pytest, the run layer) is imported by login alone, where it is used:
# logout and status read the keyring and the index, nothing more.


#: Where a typed secret comes from, as its messages say before it is stored.
PROMPT = Source("the prompt")


class CommandHooks:
    """The login step's hooks outside pytest: the provider's own login, no team hook."""

    stops_run: tuple[type[BaseException], ...] = (KeyboardInterrupt,)

    def credentials(self, provider: Provider) -> Mapping[str, str | None] | None:
        return None

    def authenticate(self, login: Login) -> Token | None:
        return login.provider.authenticate(login)

    def authenticated(self, provider: Provider, token: Token) -> None:
        return None


def login(args: argparse.Namespace) -> Iterator[str]:
    from pytest_tm_auth.cli.settings import all_settings, command_values, providers
    from pytest_tm_auth.run.preflight import check_transport
    from pytest_tm_auth.run.state import header_line

    known = providers()
    provider = known[args.provider]
    try:
        secrets = KeyringSecrets()  # before asking: a secret typed for nothing is worse
    except NoKeyring as error:
        raise StoreError(f"cannot store secrets: {error}") from None
    index = StoredIndex.of()
    if index.refused():
        raise StoreError(f"cannot store secrets: {index.refused()}")
    values = command_values(args, all_settings(list(known.values())))
    check_transport(values)
    try:
        wanted, target = needed(provider, values)
    except MissingCredentials as missing:  # a usage error here: options or variables fix it
        raise ConfigError(
            f"{missing}; the settings that are not secret come from options "
            f"(pytest-tm-auth login {provider.name} --help), the environment or a .env file"
        ) from None
    typed = {setting.name: ask(setting, target.url) for setting in wanted}
    # The typed secrets, named as the keyring source they are about to be.
    values = values.overridden(typed, KEYRING, target.url)
    state = _logged_in(provider, values)
    yield from store_secrets(provider.name, typed, target.url, secrets, index)
    if not typed:
        yield f"nothing stored: every secret {provider.name} needs is set already"
    yield "tm-auth: " + header_line(state)


def store_secrets(
    provider: str, typed: Mapping[str, str], site: str, secrets: KeyringSecrets, index: StoredIndex
) -> Iterator[str]:
    """Store ``typed`` for ``site`` in the keyring and the index, under the index's lock:
    concurrent logins and logouts never lose an entry or strand a secret in the keyring.
    Says each one as it is stored (a later failure leaves the earlier ones said)."""
    with index.locked():
        for name, text in typed.items():
            # The index first: it holds no secret, and logout finds whatever it names, so an
            # index that cannot be written never leaves a secret in the keyring unaccounted for.
            index.add(provider, name, site)
            secrets.save(name, site, text)
            yield f"stored {name.upper()} for {site} in {secrets.where}"


def needed(provider: Provider, values: Values) -> tuple[list[Setting], Target]:
    """The secrets to ask for and the target they lead to; MissingCredentials if none would do.

    Tries each unset secret in turn (with a placeholder, no network): the first that makes
    the provider configured, and that it logs in with, is the one to ask for.
    """
    from pytest_tm_auth.run.stored import target_if_stored

    try:
        return [], provider.target(values)
    except MissingCredentials as missing:
        first = missing
    for name, item in values.resolved.items():
        if not item.setting.secret or values.text(name):
            continue
        target = target_if_stored(provider, values, name)
        if target is not None:
            return [item.setting], target
    raise first


def ask(setting: Setting, site: str) -> str:
    """Hidden input at a terminal; otherwise one line of standard input."""
    prompt = f"{setting.env} ({setting.title} for {site}): "
    text = ""  # also when standard input is closed (sys.stdin is None)
    if sys.stdin is not None:
        try:
            tty = sys.stdin.isatty()
            text = getpass.getpass(prompt) if tty else sys.stdin.readline().rstrip("\r\n")
        except EOFError:  # Ctrl-D at the hidden prompt
            text = ""
    if not text.strip():
        raise MissingCredentials(f"no {setting.env} given: nothing stored")
    setting.convert(text, PROMPT)  # a bad one is named as typed, not as the keyring's
    return text


def command_run(provider: Provider, values: Values) -> tuple[ProviderRun, Scrubber]:
    """The provider's login path outside pytest, as a run's: it logs in on first use, with
    :class:`CommandHooks`; a secret still in the keyring is read then. With it, the scrubber
    of what the command says, knowing every secret ``values`` hold before anything is said."""
    from pytest_tm_auth.core.scrub import Scrubber
    from pytest_tm_auth.run.startup import transport_factory
    from pytest_tm_auth.run.state import ProviderRun

    scrubber = Scrubber()
    scrubber.add(*values.secrets())
    vault = None
    if values.pending():
        from pytest_tm_auth.run.stored import KeyringVault

        vault = KeyringVault()
    state = ProviderRun(
        provider,
        values,
        hooks=CommandHooks(),
        transport=transport_factory(values),
        scrubber=scrubber,
        session_hook=lambda provider, session: None,
        vault=vault,
    )
    return state, scrubber


def _logged_in(provider: Provider, values: Values) -> ProviderRun:
    """The provider's run state after a login; a refusal is raised as its one line, scrubbed."""
    state, scrubber = command_run(provider, values)
    try:
        state.token()
    except TmAuthError as error:
        raise TmAuthError(scrubber.scrub(str(error))) from None
    return state


def logout(args: argparse.Namespace) -> Iterator[str]:
    provider: str | None = args.provider
    index = StoredIndex.of()
    if index.refused():
        raise StoreError(index.refused())
    if not _mine(index, provider):  # nothing to do: not even the lock file is made
        yield f"nothing stored for {provider}" if provider else "nothing stored"
        if provider:
            yield from _served_anyway(index, provider)
        return
    secrets = KeyringSecrets()  # NoKeyring: one line, and the index is left as it is
    deleted: dict[Stored, bool] = {}
    with index.locked():
        for entry in _mine(index, provider):  # again, under the lock: another may have gone
            if provider is None or entry.providers == (provider,):
                deleted[entry] = secrets.delete(entry.setting, entry.site)
        gone, shared = index.remove(provider)
    for entry in gone:
        shown = f"{entry.setting.upper()} for {entry.site}"
        if deleted.get(entry, False):
            yield f"removed {shown} from {secrets.where}"
        else:
            yield f"removed {shown} from the index; it was not in {secrets.where}"
    for entry in shared:
        others = ", ".join(p for p in entry.providers if p != provider)
        yield f"kept {entry.setting.upper()} for {entry.site}: {others} also uses it"


def _served_anyway(index: StoredIndex, provider: str) -> Iterator[str]:
    """Say which entries another provider's login stored that a run here still gives
    ``provider`` (Jira uses the token ``login xray`` stored for the same Data Center site)."""
    serving = users_here()
    if serving is None:
        return
    for entry in index.entries():
        if provider in serving(entry):
            stored_by = " and ".join(entry.providers)
            yield (
                f"{entry.setting.upper()} for {entry.site}, which {stored_by}'s login stored, "
                f"is used by {provider} too: pytest-tm-auth logout {entry.providers[0]} "
                "removes it"
            )


def _mine(index: StoredIndex, provider: str | None) -> list[Stored]:
    return [e for e in index.entries() if provider is None or provider in e.providers]


def status(args: argparse.Namespace) -> Iterator[str]:
    index = StoredIndex.of()
    refused = index.refused()
    if refused:
        raise StoreError(refused)
    secrets: KeyringSecrets | None = None
    try:
        secrets = KeyringSecrets()
        yield f"keyring: {describe(secrets.backend)}"
    except StoreError as error:
        yield f"keyring: not available: {error}"
    entries = index.entries()
    yield f"index: {index.path}"
    if not entries:
        yield "nothing stored"
    serving = users_here() if entries else None
    for entry in entries:
        found = state(secrets, entry.setting, entry.site)
        providers = ", ".join(entry.providers)
        others = [name for name in serving(entry) if name not in entry.providers] if serving else []
        if others:  # logout of those that stored it alone removes it: say who else uses it
            found += f"; {' and '.join(others)} use{'s' * (len(others) == 1)} it too"
        yield f"{providers}: {entry.setting.upper()} for {entry.site} ({found})"


def users_here() -> Callable[[Stored], list[str]] | None:
    """Which providers a run here (this environment, this folder's ``.env``) gives an entry
    to; ``None`` when these settings cannot be read (then status says who stored it only)."""
    from pytest_tm_auth.cli.settings import all_settings, command_values, providers
    from pytest_tm_auth.run.stored import users

    known = list(providers().values())
    try:
        values = command_values(argparse.Namespace(), all_settings(known))
    except TmAuthError:
        return None
    return lambda entry: users(entry, values, known)


def state(secrets: KeyringSecrets | None, setting: str, site: str) -> str:
    if secrets is None:
        return "not checked"
    try:
        return "stored" if secrets.load(setting, site) is not None else "missing from the keyring"
    except StoreError as error:
        return str(error)
