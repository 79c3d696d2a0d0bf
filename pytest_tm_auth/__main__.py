"""``python -m pytest_tm_auth``: the ``pytest-tm-auth`` command."""

from __future__ import annotations

from pytest_tm_auth.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
