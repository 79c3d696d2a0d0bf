"""What the user asked for: the settings, their sources and their resolution (no network)."""
