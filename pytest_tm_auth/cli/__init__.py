"""The ``pytest-tm-auth`` command: remembered credentials in the OS keyring."""
