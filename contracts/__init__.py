"""Event payload contracts, owned by the producing services and readable by all."""
