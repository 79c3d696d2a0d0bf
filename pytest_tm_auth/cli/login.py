"""``pytest-tm-auth login PROVIDER``: ask for the missing secrets, log in, then store them.

The login is the run's own: the provider's code behind the same login step
(:class:`~pytest_tm_auth.run.state.ProviderRun`), so a refusal is the same one line a test
would get. Nothing is stored unless that login succeeded.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from pytest_tm_auth.cli.settings import all_settings, command_values, providers
from pytest_tm_auth.core.errors import ConfigError, MissingCredentials, TmAuthError
from pytest_tm_auth.core.scrub import Scrubber
from pytest_tm_auth.core.values import KEYRING, Setting, Source, Values
from pytest_tm_auth.run.preflight import check_transport
from pytest_tm_auth.run.state import ProviderRun
from pytest_tm_auth.run.stored import target_if_stored
from pytest_tm_auth.store.base import StoreError
from pytest_tm_auth.store.keyring_store import KeyringSecrets, NoKeyring
from pytest_tm_auth.store.stored_index import StoredIndex

if TYPE_CHECKING:
    from pytest_tm_auth.core.provider import Login, Provider, Target
    from pytest_tm_auth.core.token import Token


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
    from pytest_tm_auth.run.state import header_line

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


def command_run(provider: Provider, values: Values, scrubber: Scrubber) -> ProviderRun:
    """The provider's login path outside pytest, as a run's: it logs in on first use, with
    :class:`CommandHooks`; a secret still in the keyring is read then."""
    from pytest_tm_auth.run.startup import transport_factory

    vault = None
    if values.pending():
        from pytest_tm_auth.run.stored import KeyringVault

        vault = KeyringVault()
    return ProviderRun(
        provider,
        values,
        hooks=CommandHooks(),
        transport=transport_factory(values),
        scrubber=scrubber,
        session_hook=lambda provider, session: None,
        vault=vault,
    )


def _logged_in(provider: Provider, values: Values) -> ProviderRun:
    """The provider's run state after a login; a refusal is raised as its one line, scrubbed."""
    scrubber = Scrubber()
    scrubber.add(*values.secrets())
    state = command_run(provider, values, scrubber)
    try:
        state.token()
    except TmAuthError as error:
        raise TmAuthError(scrubber.scrub(str(error))) from None
    return state
