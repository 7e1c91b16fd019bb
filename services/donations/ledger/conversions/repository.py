"""All SQL of currency conversions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from kit.pagination import PageParams
from kit.repository import Repository
from services.donations.ledger.models import Conversion


class ConversionRepository(Repository[Conversion]):
    model = Conversion

    async def get_of(self, foundation_id: uuid.UUID, conversion_id: uuid.UUID) -> Conversion | None:
        return await self.one_or_none(
            select(Conversion).where(
                Conversion.id == conversion_id, Conversion.foundation_id == foundation_id
            )
        )

    async def for_foundation(
        self, foundation_id: uuid.UUID, params: PageParams, fund_id: uuid.UUID | None
    ) -> Sequence[Conversion]:
        stmt = select(Conversion).where(Conversion.foundation_id == foundation_id)
        if fund_id is not None:
            stmt = stmt.where(Conversion.fund_id == fund_id)
        return await self.page(stmt, params)
