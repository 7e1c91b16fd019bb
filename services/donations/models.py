"""Every model of the service, imported in one place for migrations and tests."""

from kit.events.inbox import dead_letters, inbox
from kit.events.outbox import outbox
from kit.idempotency import idempotency_keys
from services.donations.campaigns.models import Campaign, CampaignStatus
from services.donations.donations.models import Donation
from services.donations.foundations.models import FoundationCopy

__all__ = [
    "Campaign",
    "CampaignStatus",
    "Donation",
    "FoundationCopy",
    "dead_letters",
    "idempotency_keys",
    "inbox",
    "outbox",
]
