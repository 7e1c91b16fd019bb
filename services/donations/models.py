"""Every model of the service, imported in one place for migrations and tests."""

from kit.idempotency import idempotency_keys
from services.donations.campaigns.models import Campaign, CampaignStatus
from services.donations.donations.models import Donation

__all__ = ["Campaign", "CampaignStatus", "Donation", "idempotency_keys"]
