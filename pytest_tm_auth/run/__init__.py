"""One pytest run: start-up, the providers' state, the boundary to pytest outcomes, the modes."""
