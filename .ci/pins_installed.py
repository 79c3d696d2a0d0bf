"""Fail unless each distribution pinned in the given file is installed at its pinned version.

A constraints file only narrows what is installed: a pin whose package nothing asks for any
more is silently unused. The `lowest` nox session runs this after installing.
"""

import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path


def installed(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


lines = Path(sys.argv[1]).read_text(encoding="utf-8").splitlines()
pins = dict(line.split("==") for line in lines if line and not line.startswith("#"))
wrong = {name: installed(name) for name, pin in pins.items() if installed(name) != pin}
if wrong:
    sys.exit(f"{sys.argv[1]}: installed instead of the pins: {wrong}")
print("pinned and installed:", ", ".join(f"{name} {pin}" for name, pin in pins.items()))
