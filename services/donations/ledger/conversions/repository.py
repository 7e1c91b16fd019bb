from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import PageParams
from services.donations.ledger.models import Conversion


class ConversionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

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
