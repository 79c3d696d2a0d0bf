"""Write the settings table of ``docs/settings.md`` from the settings' own declarations.

Run it after adding, renaming or rewording a setting::

    .venv/bin/python docs/settings_table.py

It rewrites only the lines between the two marker comments; ``tests/test_docs.py`` fails
while the table there differs from what this produces. This module is also the one place
the docs' tests import the built-in settings from.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pytest_tm_auth import Setting
from pytest_tm_auth.providers import built_in
from pytest_tm_auth.settings.run_wide import RESULT_SETTINGS, RUN_WIDE_SETTINGS

#: Every built-in setting, in the order the table lists them: per service, then the run's.
DECLARED: tuple[Setting, ...] = (
    *(setting for provider in built_in() for setting in provider.settings),
    *RUN_WIDE_SETTINGS,
    *RESULT_SETTINGS,
)

PAGE = Path(__file__).resolve().with_name("settings.md")
BEGIN = "<!-- settings table: written by docs/settings_table.py from the declarations -->"
END = "<!-- end of settings table -->"
COLUMNS = ("option", "ini key", "environment variable", "secret", "default", "meaning")


def default_cell(setting: Setting) -> str:
    """The default as a user writes it: a value, ``off`` for a switch, ``—`` for none."""
    if setting.default is not None:
        return f"`{setting.default}`"
    return "off" if setting.flag else "—"


def row(setting: Setting) -> str:
    cells = (
        f"`{setting.option}`",
        f"`{setting.ini}`",
        f"`{setting.env}`",
        "yes" if setting.secret else "",
        default_cell(setting),
        setting.help.replace("|", "\\|"),
    )
    return "| " + " | ".join(cells) + " |"


def table(settings: tuple[Setting, ...] = DECLARED) -> str:
    """The Markdown table, header first, one row per setting."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += [row(setting) for setting in settings]
    return "\n".join(lines)


def current(text: str) -> str:
    """The table between the markers of ``text`` as it stands."""
    start = text.index(BEGIN) + len(BEGIN)
    return text[start : text.index(END, start)].strip("\n")


def rewritten(text: str) -> str:
    """``text`` with the table between the markers replaced by :func:`table`."""
    start = text.index(BEGIN) + len(BEGIN)
    end = text.index(END, start)
    return text[:start] + "\n" + table() + "\n" + text[end:]


def main() -> int:
    text = PAGE.read_text(encoding="utf-8")
    new = rewritten(text)
    if new == text:
        print(f"{PAGE.name}: the settings table is up to date")
        return 0
    PAGE.write_text(new, encoding="utf-8")
    print(f"{PAGE.name}: rewrote the settings table ({len(DECLARED)} settings)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
