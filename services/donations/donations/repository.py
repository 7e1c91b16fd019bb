from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import PageParams
from services.donations.donations.models import Donation


class DonationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, donation: Donation) -> None:
        self.session.add(donation)
        await self.session.flush()

    async def get(self, campaign_id: uuid.UUID, donation_id: uuid.UUID) -> Donation | None:
        stmt = select(Donation).where(
            Donation.id == donation_id, Donation.campaign_id == campaign_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def list(self, campaign_id: uuid.UUID, params: PageParams) -> Sequence[Donation]:
        stmt = params.apply(
            select(Donation).where(Donation.campaign_id == campaign_id), Donation.id
        )
        return (await self.session.execute(stmt)).scalars().all()
