from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import PageParams
from services.donations.campaigns.models import Campaign
from services.donations.ledger.models import Conversion


class ConversionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def campaign_for_update(
        self, foundation_id: uuid.UUID, campaign_id: uuid.UUID
    ) -> Campaign | None:
        """The foundation's campaign, share-locked until commit and read afresh, so that it
        is not settled while its money is converted."""
        stmt = (
            select(Campaign)
            .where(Campaign.id == campaign_id, Campaign.foundation_id == foundation_id)
            .with_for_update(read=True)
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def add(self, conversion: Conversion) -> None:
        self.session.add(conversion)
        await self.session.flush()

    async def get(self, foundation_id: uuid.UUID, conversion_id: uuid.UUID) -> Conversion | None:
        stmt = select(Conversion).where(
            Conversion.id == conversion_id, Conversion.foundation_id == foundation_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def list(
        self, foundation_id: uuid.UUID, params: PageParams, fund_id: uuid.UUID | None
    ) -> Sequence[Conversion]:
        stmt = select(Conversion).where(Conversion.foundation_id == foundation_id)
        if fund_id is not None:
            stmt = stmt.where(Conversion.fund_id == fund_id)
        return (await self.session.execute(params.apply(stmt, Conversion.id))).scalars().all()
