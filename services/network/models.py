"""Every model of the service, imported in one place for migrations and tests."""

from kit.idempotency import idempotency_keys
from services.network.foundations.models import Foundation

__all__ = ["Foundation", "idempotency_keys"]
