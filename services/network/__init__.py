"""The network service: the foundation directory, and (later) networks, pairings, shared
resources, sync and webhooks."""
