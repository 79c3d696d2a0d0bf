"""One login per run, without pytest or requests: tokens, the token cache, the login step."""
