from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import PageParams
from services.donations.campaigns.models import Campaign
from services.donations.donations.models import Donation


@dataclass(frozen=True, slots=True)
class Totals:
    raised_minor: int = 0
    donation_count: int = 0


class CampaignRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, campaign: Campaign) -> None:
        self.session.add(campaign)

    async def get(self, foundation_id: uuid.UUID, campaign_id: uuid.UUID) -> Campaign | None:
        stmt = select(Campaign).where(
            Campaign.id == campaign_id, Campaign.foundation_id == foundation_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get_for_update(
        self, foundation_id: uuid.UUID, campaign_id: uuid.UUID
    ) -> Campaign | None:
        """The campaign, locked against a concurrent close (a share lock: donations to one
        campaign still run side by side)."""
        stmt = (
            select(Campaign)
            .where(Campaign.id == campaign_id, Campaign.foundation_id == foundation_id)
            .with_for_update(read=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def list(self, foundation_id: uuid.UUID, params: PageParams) -> Sequence[Campaign]:
        stmt = params.apply(
            select(Campaign).where(Campaign.foundation_id == foundation_id), Campaign.id
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def totals(self, campaign_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Totals]:
        """Raised amount and donation count per campaign, derived from the donations."""
        if not campaign_ids:
            return {}
        stmt = (
            select(
                Donation.campaign_id,
                func.coalesce(func.sum(Donation.amount_minor), 0),
                func.count(),
            )
            .where(Donation.campaign_id.in_(campaign_ids))
            .group_by(Donation.campaign_id)
        )
        rows = (await self.session.execute(stmt)).all()
        return {row[0]: Totals(int(row[1]), int(row[2])) for row in rows}
