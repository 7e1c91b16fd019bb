"""Every model of the gateway, imported in one place for migrations and tests."""

from gateway.keys.models import ApiKey

__all__ = ["ApiKey"]
