"""Shares from other services: what a foundation publishes elsewhere (a disclosure report
in donations) becomes a shared resource of its networks, by events."""
