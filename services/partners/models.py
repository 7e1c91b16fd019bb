"""Every model of the service, imported in one place for migrations and tests."""

from kit.events.inbox import dead_letters, inbox
from kit.events.outbox import outbox
from kit.idempotency import idempotency_keys
from services.partners.foundations.models import FoundationCopy
from services.partners.grants.models import PartnerGrant
from services.partners.organisations.models import PartnerKind, PartnerOrganisation

__all__ = [
    "FoundationCopy",
    "PartnerGrant",
    "PartnerKind",
    "PartnerOrganisation",
    "dead_letters",
    "idempotency_keys",
    "inbox",
    "outbox",
]
