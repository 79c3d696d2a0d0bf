"""Collect the example tests only: each recipe under ``recipes/`` has its own conftest and runs
on its own (``pytest examples/recipes/NAME``), so their hooks never mix with these examples."""

collect_ignore = ["recipes"]
