"""Remembered tokens: reuse an issued token across runs until shortly before it expires.

Opt-in (``--tm-auth-remember``). Only tokens with a known expiry are kept, and never a value
that is itself a configured secret. Each token is filed under a hash of everything that
decides which token a login returns (provider, deployment, URLs and every credential
setting, secrets included but only hashed), so other credentials or URLs never receive it.

The OS keyring holds them when a real backend exists (the optional ``keyring`` extra);
otherwise a per-user cache file, ``0600`` in a ``0700`` directory, replaced atomically under
a lock so that concurrent runs and xdist workers cannot lose each other's writes. Anything
wrong with the store is a :class:`~pytest_tm_auth.TokenStoreWarning` and a normal login.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from pytest_tm_auth.provider import Provider, Target
from pytest_tm_auth.secret import Secret
from pytest_tm_auth.settings import Values
from pytest_tm_auth.token import Token

#: Bumped when the key or the entries change meaning, so old entries are never misread.
FORMAT = 1
#: The keyring service name, and the cache directory's name.
NAME = "pytest-tm-auth"
FILE_NAME = "tokens.json"
#: How long a run waits for another run that is writing the file before giving up on it.
LOCK_TIMEOUT = 10.0


class StoreError(Exception):
    """The store cannot be used now; the message says why (no secret in it)."""


Entry = dict[str, Any]


class TokenStore(Protocol):
    """Where remembered tokens live. ``where`` names it in warnings."""

    where: str

    def get(self, key: str) -> Entry | None:
        """The entry filed under ``key``, or ``None``; raises :class:`StoreError`."""
        ...

    def put(self, key: str, entry: Entry) -> None:
        """File ``entry`` under ``key``, replacing any older one; raises :class:`StoreError`."""
        ...

    def forget(self, keys: Iterable[str]) -> None:
        """Forget ``keys`` (the file store forgets everything); raises :class:`StoreError`."""
        ...


def token_key(provider: Provider, target: Target, values: Values) -> str:
    """A hash of everything that decides which token a login returns; reveals none of it.

    scrypt rather than a plain hash: the material includes the secrets, and a copied store
    must not let anyone test guesses of a weak password quickly (about 50 ms a guess).
    """
    names = sorted({setting.name for setting in provider.settings} | set(target.credentials))
    material = {
        "format": FORMAT,
        "provider": provider.name,
        "deployment": target.deployment,
        "url": target.url,
        "api_url": target.api_url,
        "settings": {name: str(values.get(name)) for name in names if values.get(name)},
    }
    text = json.dumps(material, sort_keys=True, separators=(",", ":"))
    return _slow_hash(text)


@functools.lru_cache(maxsize=64)
def _slow_hash(text: str) -> str:
    """Computed once per key material and run: recall and remember share it."""
    return hashlib.scrypt(
        text.encode("utf-8"), salt=b"pytest-tm-auth token key", n=2**14, r=8, p=1, dklen=32
    ).hex()


def entry_for(token: Token) -> Entry:
    return {
        "provider": token.provider,
        "scheme": token.scheme,
        "value": str(token.value),
        "expires_at": token.expires_at,
    }


def token_from(entry: object, provider: str) -> Token | None:
    """The token an entry describes, or ``None`` when it is malformed or has no expiry."""
    if not isinstance(entry, Mapping):
        return None
    value, scheme, expires_at = entry.get("value"), entry.get("scheme"), entry.get("expires_at")
    if not (isinstance(value, str) and value and isinstance(scheme, str) and scheme):
        return None
    if isinstance(expires_at, bool) or not isinstance(expires_at, (int, float)):
        return None
    return Token(provider, Secret(value), scheme, float(expires_at))


class TokenMemory:
    """The run's remembered tokens: ``recall`` before a login, ``keep`` after one.

    Never raises for a store problem: it warns once per problem and the run logs in as if
    nothing were remembered. The store is opened on first use, so that runs which never
    log in never import ``keyring`` or touch the disk.
    """

    def __init__(
        self,
        warn: Callable[[str], None],
        *,
        reuse: bool = True,
        remember: bool = True,
    ) -> None:
        self._warn = warn
        self.reuse = reuse
        self.remember = remember
        self._store: TokenStore | None = None
        self._broken = False
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def recall(self, provider: Provider, target: Target, values: Values) -> Token | None:
        """A remembered token for exactly this provider and configuration, still valid."""
        if not self.reuse:
            return None
        store = self._open()
        if store is None:
            return None
        try:
            entry = store.get(token_key(provider, target, values))
        except StoreError as problem:
            self._problem(str(problem))
            return None
        token = token_from(entry, provider.name)
        if token is None or token.needs_renewal():
            return None
        return token

    def keep(self, provider: Provider, target: Target, values: Values, token: Token) -> None:
        """Remember ``token`` if it has a known expiry ahead and is not a configured secret."""
        if not self.remember or token.expires_at is None or token.needs_renewal():
            return
        if str(token.value) in values.secrets():
            return  # a credential shaped like a token: storing it would store a secret
        store = self._open()
        if store is None:
            return
        try:
            store.put(token_key(provider, target, values), entry_for(token))
        except StoreError as problem:
            self._problem(str(problem))

    def forget(self, keys: Iterable[str]) -> None:
        """``--tm-auth-reset``: forget ``keys`` (the file store: every token)."""
        store = self._open()
        if store is None:
            return
        try:
            store.forget(keys)
        except StoreError as problem:
            self._problem(str(problem))

    def _open(self) -> TokenStore | None:
        with self._lock:
            if self._store is None and not self._broken:
                try:
                    self._store = open_store()
                except StoreError as problem:
                    self._broken = True
                    self._problem(str(problem))
            return self._store

    def _problem(self, text: str) -> None:
        if text not in self._warned:
            self._warned.add(text)
            self._warn(f"remembered tokens not used: {text}; logging in normally")


def open_store(environ: Mapping[str, str] | None = None) -> TokenStore:
    """The OS keyring when a real backend exists, else the per-user cache file."""
    backend = _keyring_backend()
    if backend is not None:
        return KeyringStore(backend)
    try:
        directory = cache_directory(os.environ if environ is None else environ)
    except (RuntimeError, KeyError):  # no home directory to put ~/.cache in
        raise StoreError("no cache directory: set XDG_CACHE_HOME") from None
    return FileStore(directory)


def _keyring_backend() -> Any | None:
    """keyring's chosen backend, or ``None`` without keyring or with its fail/null backend."""
    try:
        import keyring
    except ImportError:
        return None
    try:
        backend = keyring.get_keyring()
        priority = float(backend.priority)
    except Exception:  # a broken keyring configuration: fall back to the file
        return None
    return backend if priority > 0 else None


def cache_directory(environ: Mapping[str, str]) -> Path:
    """``$XDG_CACHE_HOME/pytest-tm-auth`` (an absolute one), else ``~/.cache/pytest-tm-auth``."""
    base = environ.get("XDG_CACHE_HOME", "")
    if not os.path.isabs(base):
        local = environ.get("LOCALAPPDATA", "") if os.name == "nt" else ""
        base = local if os.path.isabs(local) else str(Path.home() / ".cache")
    return Path(base) / NAME


class KeyringStore:
    """One keyring entry per key, under the service ``pytest-tm-auth``."""

    def __init__(self, backend: Any) -> None:
        self._backend = backend
        self.where = f"the keyring ({type(backend).__name__})"

    def get(self, key: str) -> Entry | None:
        with self._guard("read"):
            text = self._backend.get_password(NAME, key)
        if text is None:
            return None
        try:
            entry = json.loads(text)
        except ValueError:
            raise StoreError(f"the entry in {self.where} is corrupt") from None
        return entry if isinstance(entry, dict) else None

    def put(self, key: str, entry: Entry) -> None:
        with self._guard("write"):
            self._backend.set_password(NAME, key, json.dumps(entry))

    def forget(self, keys: Iterable[str]) -> None:
        for key in keys:
            with self._guard("read"):
                known = self._backend.get_password(NAME, key) is not None
            if known:
                with self._guard("delete from"):
                    self._backend.delete_password(NAME, key)

    @contextlib.contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        try:
            yield
        except Exception as error:  # backends raise anything from D-Bus errors to OSError
            raise StoreError(f"cannot {action} {self.where}: {type(error).__name__}") from None


class FileStore:
    """A JSON file of entries by key, private to the user, replaced whole on every write."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.path = directory / FILE_NAME
        self.where = str(self.path)

    def get(self, key: str) -> Entry | None:
        entry = self._read().get(key)
        return entry if isinstance(entry, dict) else None

    def put(self, key: str, entry: Entry) -> None:
        def change(entries: dict[str, Any]) -> None:
            entries[key] = entry

        self._update(change)

    def forget(self, keys: Iterable[str]) -> None:
        if self.path.exists() or self.path.is_symlink():
            self._update(lambda entries: entries.clear())

    def _read(self, *, tolerate_corrupt: bool = False) -> dict[str, Any]:
        """The entries; ``{}`` when there is no file yet. Checks ownership first."""
        if not self.directory.exists():
            return {}
        self._check_directory()
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise StoreError(f"cannot read {self.path}: {error.strerror or error}") from None
        try:
            _check_owner(fd, self.path)
            with os.fdopen(fd, "rb", closefd=False) as handle:
                raw = handle.read()
        except OSError as error:
            raise StoreError(f"cannot read {self.path}: {error.strerror or error}") from None
        finally:
            os.close(fd)
        try:
            data = json.loads(raw.decode("utf-8"))
        except ValueError:
            data = None
        if not (
            isinstance(data, dict)
            and data.get("format") == FORMAT
            and isinstance(data.get("tokens"), dict)
        ):
            if tolerate_corrupt:
                return {}
            raise StoreError(f"{self.path} is corrupt or from another version")
        tokens: dict[str, Any] = data["tokens"]
        return tokens

    def _update(self, change: Callable[[dict[str, Any]], None]) -> None:
        """Read, change and write back under a lock: concurrent writers never lose entries."""
        from filelock import FileLock, Timeout

        self._make_directory()
        lock = FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT, mode=0o600)
        try:
            with lock:
                entries = self._read(tolerate_corrupt=True)
                change(entries)
                now = time.time()
                fresh = {
                    key: entry
                    for key, entry in entries.items()
                    if isinstance(entry, dict)
                    and isinstance(entry.get("expires_at"), (int, float))
                    and entry["expires_at"] > now
                }
                self._write({"format": FORMAT, "tokens": fresh})
        except Timeout:
            raise StoreError(f"{self.path} stayed locked by another run") from None
        except OSError as error:
            raise StoreError(f"cannot write {self.path}: {error.strerror or error}") from None

    def _write(self, data: dict[str, Any]) -> None:
        """Write a private temporary file beside the store, then rename it over the store."""
        temporary = self.directory / f".{FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(temporary, flags, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(data, handle, indent=1, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise

    def _make_directory(self) -> None:
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(f"cannot create {self.directory}: {error.strerror or error}") from None
        self._check_directory()

    def _check_directory(self) -> None:
        """Refuse a directory another user owns; make our own private if it is not."""
        try:
            status = self.directory.stat()
            if _foreign(status.st_uid):
                raise StoreError(f"{self.directory} belongs to another user")
            if os.name != "nt" and status.st_mode & 0o077:
                self.directory.chmod(0o700)
        except OSError as error:
            raise StoreError(f"cannot use {self.directory}: {error.strerror or error}") from None


def _check_owner(fd: int, path: Path) -> None:
    status = os.fstat(fd)
    if _foreign(status.st_uid):
        raise StoreError(f"{path} belongs to another user")
    if os.name != "nt" and status.st_mode & 0o077:
        os.fchmod(fd, 0o600)


def _foreign(uid: int) -> bool:
    geteuid = getattr(os, "geteuid", None)
    return geteuid is not None and uid != geteuid()
