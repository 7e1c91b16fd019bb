"""The partners service's event contracts (``partners.<entity>.<verb>``).

The partners service emits no events yet; its first contract goes here, never into another
service's module.
"""
