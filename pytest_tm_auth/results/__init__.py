"""A run's results: collected as pytest reports them, journaled, published once per service."""
