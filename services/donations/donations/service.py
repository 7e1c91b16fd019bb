"""Donation rules. Never commits: the request's session does."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from kit.db import utcnow
from kit.errors import FieldProblem
from kit.pagination import PageParams
from services.donations.campaigns.exceptions import CampaignClosed
from services.donations.campaigns.models import Campaign
from services.donations.donations.exceptions import (
    DonationCurrencyMismatch,
    DonationInFuture,
    DonationNotFound,
)
from services.donations.donations.models import Donation
from services.donations.donations.repository import DonationRepository
from services.donations.donations.schemas import DonationCreate

# Clocks of a partner's system and ours may disagree a little.
CLOCK_SKEW = dt.timedelta(minutes=5)


async def record(repo: DonationRepository, campaign: Campaign, data: DonationCreate) -> Donation:
    amount = data.amount.to_money()
    if amount.currency != campaign.currency:
        raise DonationCurrencyMismatch(
            f"the campaign raises {campaign.currency}; this donation is in {amount.currency}",
            errors=[
                FieldProblem(
                    field="amount.currency",
                    message=f"must be {campaign.currency}",
                    code="currency_mismatch",
                )
            ],
        )
    now = utcnow()
    donated_at = data.donated_at or now
    if donated_at > now + CLOCK_SKEW:
        raise DonationInFuture(
            errors=[FieldProblem(field="donated_at", message="is in the future", code="future")]
        )
    if not campaign.accepts_donations_at(now):
        raise CampaignClosed(f"campaign {campaign.id} is {campaign.status.value} or has ended")
    donation = Donation(
        campaign_id=campaign.id,
        foundation_id=campaign.foundation_id,
        amount_minor=amount.minor,
        currency=amount.currency,
        donor_name=data.donor_name,
        anonymous=data.anonymous,
        donated_at=donated_at,
    )
    await repo.add(donation)
    return donation


async def list_page(
    repo: DonationRepository, campaign: Campaign, params: PageParams
) -> Sequence[Donation]:
    return await repo.list(campaign.id, params)


async def get(repo: DonationRepository, campaign: Campaign, donation_id: uuid.UUID) -> Donation:
    donation = await repo.get(campaign.id, donation_id)
    if donation is None:
        raise DonationNotFound(f"no donation {donation_id} in campaign {campaign.id}")
    return donation
