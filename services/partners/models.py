"""Every model of the service, imported in one place for migrations and tests."""

from kit.idempotency import idempotency_keys
from services.partners.organisations.models import PartnerKind, PartnerOrganisation

__all__ = ["PartnerKind", "PartnerOrganisation", "idempotency_keys"]
