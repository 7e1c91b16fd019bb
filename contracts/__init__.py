"""Event payload contracts, one module per producing service."""
