"""HTTP: the only place requests and urllib3 are imported; loaded on first use."""
