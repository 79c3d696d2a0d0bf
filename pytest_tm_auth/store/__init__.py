"""Remembered tokens between runs: the OS keyring, or a private cache file."""
