"""Repository-wide pytest setup: the plugin's own tests drive pytest through pytester."""

from __future__ import annotations

pytest_plugins = ["pytester"]
