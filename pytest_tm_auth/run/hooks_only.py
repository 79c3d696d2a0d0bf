"""Plugin objects that show pluggy and pytest their hooks and nothing else.

pluggy finds an object's hooks by reading every name ``dir()`` lists, when it is registered;
pytest's fixture manager reads them all again, for every plugin, when the session starts.
An instance lists some thirty names it inherits from ``object``, each looked up along its
class's MRO: about 1 M instructions per plugin object per run, for nothing.
"""

from __future__ import annotations

from typing import Any, ClassVar


class HooksOnly:
    """``dir()`` lists the ``pytest_*`` hooks the class and its bases define."""

    __slots__ = ()
    _hooks: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._hooks = tuple(
            sorted(
                {name for base in cls.__mro__ for name in vars(base) if name.startswith("pytest_")}
            )
        )

    def __dir__(self) -> list[str]:
        return list(self._hooks)
