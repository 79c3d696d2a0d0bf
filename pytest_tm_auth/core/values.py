"""The words of the provider contract: a :class:`Secret`, and one declaration per setting,
four sources, every value remembering where it came from.

A :class:`Secret` is a string that keeps its value out of reprs, so tracebacks and
``--showlocals`` cannot leak it.

A :class:`Setting` named ``xray_client_id`` is the option ``--xray-client-id``, the ini key
``xray_client_id`` and the environment variable ``XRAY_CLIENT_ID``; :class:`Values` holds
each resolved value with its :class:`Source` (see :mod:`pytest_tm_auth.settings.resolve`).

Values like these are :class:`Record`s, here and across the package: never assigned to,
compared and copied as named tuples are, for a fraction of what a named tuple costs to define.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final, TypeVar

from pytest_tm_auth.core.errors import ConfigError

REDACTED = "***"


_R = TypeVar("_R", bound="Record")


class Record:
    """A small value, as a named tuple is: compared, hashed and shown by its fields (its
    ``__slots__``, in their order), copied with changes by ``_replace``, pickled through its
    ``__init__``, its fields ``Final`` (never assigned to after it is made). A
    ``typing.NamedTuple`` costs about 0.7 M instructions to define, at import, in every run
    that imports it; this base, next to nothing. Not a tuple: read it by name.

    A subclass lists every field in its own ``__slots__``, in the order its ``__init__``
    takes them.
    """

    __slots__: tuple[str, ...] = ()

    def _replace(self: _R, **changes: Any) -> _R:
        """A copy with ``changes``: ``target._replace(api_url=...)``."""
        fields = {name: getattr(self, name) for name in self.__slots__}
        return type(self)(**{**fields, **changes})

    def __reduce__(self) -> tuple[type[Record], tuple[object, ...]]:
        """Copied and pickled through ``__init__``, as a named tuple is."""
        return type(self), self._values()

    def _values(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({shown})"


class Secret(str):
    """A credential or token: behaves as its value everywhere except ``repr()``.

    ``str()``, f-strings, comparisons and requests headers see the real value; ``repr()``
    (used by pytest for locals, assertion rewriting and ``-vv`` diffs) shows only ``***``.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Secret({REDACTED!r})"


def mask(value: str) -> str:
    """Show a non-secret identifier shortened, e.g. ``32A2…E8E7``, for headers and tables."""
    if len(value) <= 12:
        return value[:2] + "…" if len(value) > 4 else "…"
    return f"{value[:4]}…{value[-4:]}"


TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})


def parse_flag(text: str) -> bool:
    """``1/true/yes/on`` or ``0/false/no/off`` (any case), as environment variables are written."""
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError("expected one of 1/true/yes/on or 0/false/no/off")


#: The longest timeout accepted: beyond it a hung service would stall CI for good.
MAX_SECONDS = 600.0
#: The most retries accepted: more would only hammer a service that is down.
MAX_COUNT = 10


def parse_seconds(text: str) -> float:
    """A positive number of seconds, at most :data:`MAX_SECONDS`."""
    problem = "expected a number of seconds above 0 and at most 600"  # MAX_SECONDS
    try:
        value = float(text)
    except ValueError:
        raise ValueError(problem) from None
    if not 0 < value <= MAX_SECONDS:  # also refuses nan and inf
        raise ValueError(problem)
    return value


def parse_count(text: str) -> float:
    """A whole number from 0 to :data:`MAX_COUNT` (a float, so every number has one type)."""
    problem = "expected a whole number from 0 to 10"  # MAX_COUNT
    try:
        value = int(text)
    except ValueError:
        raise ValueError(problem) from None
    if not 0 <= value <= MAX_COUNT:
        raise ValueError(problem)
    return float(value)


def parse_rate(text: str) -> tuple[int, float]:
    """A request budget ``N/SECONDS`` (``300/300``): at least 1 request per 1 to 86400 s."""
    problem = "expected N/SECONDS, a whole number of requests per seconds, e.g. 300/300"
    count, slash, seconds = text.partition("/")
    try:
        requests, interval = int(count), float(seconds)
    except ValueError:
        raise ValueError(problem) from None
    if not slash or requests < 1 or not 1 <= interval <= 86400:  # also refuses nan and inf
        raise ValueError(problem)
    return requests, interval


class Setting(Record):
    """A setting with its three names, help, and how its text becomes a value.

    ``allow_spaces``: a secret a person chose (a password) may hold spaces; keys and tokens
    never do. ``url``: a URL is checked once its value is known, whether or not its provider
    is used.
    """

    __slots__ = (  # noqa: RUF023  # the fields' order
        "name", "help", "secret", "default", "choices", "flag", "parse", "label", "metavar",
        "allow_spaces", "url",
    )  # fmt: skip

    name: Final[str]
    help: Final[str]
    secret: Final[bool]
    default: Final[str | None]
    choices: Final[tuple[str, ...]]
    flag: Final[bool]
    parse: Final[Callable[[str], object] | None]
    label: Final[str]
    metavar: Final[str]
    allow_spaces: Final[bool]
    url: Final[bool]

    def __init__(  # noqa: PLR0917  # a named tuple's signature: every field by position too
        self,
        name: str,
        help: str,
        secret: bool = False,
        default: str | None = None,
        choices: tuple[str, ...] = (),
        flag: bool = False,
        parse: Callable[[str], object] | None = None,
        label: str = "",
        metavar: str = "",
        allow_spaces: bool = False,
        url: bool = False,
    ) -> None:
        self.name = name
        self.help = help
        self.secret = secret
        self.default = default
        self.choices = choices
        self.flag = flag
        self.parse = parse
        self.label = label
        self.metavar = metavar
        self.allow_spaces = allow_spaces
        self.url = url

    @property
    def option(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return self.name.upper()

    @property
    def ini(self) -> str:
        return self.name

    @property
    def title(self) -> str:
        """How messages name the setting's meaning, e.g. ``client id``."""
        return self.label or self.name.split("_", 1)[-1].replace("_", " ")

    def convert(self, text: str, source: Source) -> object:
        """Turn a source's text into the value, or say which source holds a bad one."""
        text = text.strip()  # stray blanks and the \r of a .env file written on Windows
        if self.secret and _stray_whitespace(text, allow_spaces=self.allow_spaces):
            inside = "a line break" if self.allow_spaces else "a space or line break"
            raise ConfigError(
                f"{self.option} from {source} contains {inside} inside it, which a pasted "
                "secret never does: copy it again without surrounding text"
            )
        try:
            if self.flag:
                return parse_flag(text)
            if self.choices and text.lower() not in self.choices:
                raise ValueError("expected one of " + ", ".join(self.choices))
            if self.choices:
                return text.lower()
            if self.parse is not None:
                return self.parse(text)
        except ValueError as exc:
            shown = "***" if self.secret else repr(text)
            raise ConfigError(
                f"Invalid value {shown} for {self.option} from {source}: {exc}"
            ) from None
        return Secret(text) if self.secret else text


def _stray_whitespace(text: str, *, allow_spaces: bool) -> bool:
    if allow_spaces:
        return any(ch.isspace() and ch not in " \t" for ch in text)
    return any(ch.isspace() for ch in text)


class Source(Record):
    """Where a value came from: ``kind`` is short (``env``), ``where`` names the exact place."""

    __slots__ = ("kind", "where")  # the fields' order

    kind: Final[str]
    where: Final[str]

    def __init__(self, kind: str, where: str = "") -> None:
        self.kind = kind
        self.where = where

    def __str__(self) -> str:
        if self.kind == "option":
            return "the command line"
        if self.kind == "hook":  # a credentials hook's values; ``where`` is its file
            hook = "the pytest_tm_auth_credentials hook"
            return f"{hook} ({self.where})" if self.where else hook
        if self.kind == "default" or not self.where:
            return self.where or self.kind
        return f"{self.kind} ({self.where})"


DEFAULT = Source("default")
#: The kind of :class:`Source` for a secret ``pytest-tm-auth login`` stored in the OS keyring.
KEYRING = "keyring"


class InKeyring(Secret):
    """A secret the OS keyring holds, not read yet: a placeholder until a login needs it.

    Resolution knows from the index of stored secrets that the keyring has it, so the header
    can say ``from keyring`` without importing keyring; the login step reads the value
    (:meth:`Values.pending`, :meth:`Values.filled`). Its text is a placeholder, never sent.
    """

    __slots__ = ()


EMPTY: Mapping[str, Any] = MappingProxyType({})


class Resolved:
    """One setting's value and where it came from."""

    __slots__ = ("setting", "source", "value")

    def __init__(self, setting: Setting, value: object, source: Source) -> None:
        self.setting = setting
        self.value = value
        self.source = source


class Values:
    """Resolved settings: each value with its source. Unset values are ``None``."""

    __slots__ = ("resolved",)

    def __init__(self, resolved: Mapping[str, Resolved] | None = None) -> None:
        self.resolved: Mapping[str, Resolved] = {} if resolved is None else resolved

    def __repr__(self) -> str:  # names and sources only: values may be secrets
        shown = ", ".join(f"{name} from {item.source}" for name, item in self.resolved.items())
        return f"Values({shown})"

    def __contains__(self, name: object) -> bool:
        return name in self.resolved

    def get(self, name: str) -> object:
        item = self.resolved.get(name)
        return None if item is None else item.value

    def text(self, name: str) -> str | None:
        value = self.get(name)
        return value if isinstance(value, str) and value else None

    def flag(self, name: str) -> bool:
        return self.get(name) is True

    def number(self, name: str) -> float:
        value = self.get(name)
        assert isinstance(value, float), f"{name} is not numeric"
        return value

    def source(self, name: str) -> Source:
        item = self.resolved.get(name)
        return DEFAULT if item is None else item.source

    def describe(self, name: str) -> str:
        """``--xray-url from env (XRAY_URL)``: the setting and where its value came from."""
        item = self.resolved[name]
        return f"{item.setting.option} from {item.source}"

    def setting(self, name: str) -> Setting:
        return self.resolved[name].setting

    def secrets(self) -> list[str]:
        """Every secret value that is set, for scrubbing output."""
        return [
            item.value
            for item in self.resolved.values()
            if item.setting.secret
            and isinstance(item.value, str)
            and item.value
            and not isinstance(item.value, InKeyring)
        ]

    def pending(self) -> dict[str, str]:
        """The secrets still in the keyring, not read yet: setting name -> site."""
        return {
            name: item.source.where
            for name, item in self.resolved.items()
            if isinstance(item.value, InKeyring)
        }

    def filled(self, texts: Mapping[str, str | None]) -> Values:
        """A copy with the keyring's ``texts`` for pending secrets (``None``: not there)."""
        merged = dict(self.resolved)
        for name, text in texts.items():
            item = merged[name]
            value = None if not text else item.setting.convert(text, item.source)
            merged[name] = Resolved(item.setting, value, item.source)
        return Values(merged)

    def overridden(self, texts: Mapping[str, str | None], kind: str, where: str = "") -> Values:
        """A copy where ``texts`` win over every other source (the sandbox, a credentials hook).

        ``kind`` and ``where`` name that source, as :class:`Source` does.
        """
        source = Source(kind, where)
        merged = dict(self.resolved)
        for name, text in texts.items():
            if name not in merged:
                raise ConfigError(f"{source} supplied an unknown setting {name!r}")
            setting = merged[name].setting
            value = None if text is None else setting.convert(str(text), source)
            merged[name] = Resolved(setting, value, source)
        return Values(merged)
