"""All SQL of distributions and their lines."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select

from kit.pagination import PageParams
from kit.repository import Repository
from services.donations.distributions.models import Distribution, DistributionLine
from services.donations.supplies.models import StockItem

# A distribution's lines, each with the currency of its item's value.
LinesWithCurrency = list[tuple[DistributionLine, str]]


class DistributionRepository(Repository[Distribution]):
    model = Distribution

    async def add_with_lines(
        self, distribution: Distribution, lines: Sequence[DistributionLine]
    ) -> None:
        await self.add(distribution)
        self.session.add_all(lines)
        await self.session.flush()

    async def get_in_campaign(
        self, campaign_id: uuid.UUID, distribution_id: uuid.UUID
    ) -> Distribution | None:
        return await self.one_or_none(
            select(Distribution).where(
                Distribution.id == distribution_id, Distribution.campaign_id == campaign_id
            )
        )

    async def for_campaign(
        self, campaign_id: uuid.UUID, params: PageParams
    ) -> Sequence[Distribution]:
        return await self.page(
            select(Distribution).where(Distribution.campaign_id == campaign_id), params
        )

    async def lines(
        self, distribution_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, LinesWithCurrency]:
        """Each distribution's lines, in their order, with the currency of their item's value."""
        out: dict[uuid.UUID, LinesWithCurrency] = defaultdict(list)
        if distribution_ids:
            stmt = (
                select(DistributionLine, StockItem.currency)
                .join(StockItem, StockItem.id == DistributionLine.item_id)
                .where(DistributionLine.distribution_id.in_(distribution_ids))
                .order_by(DistributionLine.distribution_id, DistributionLine.position)
            )
            for line, currency in await self.session.execute(stmt):
                out[line.distribution_id].append((line, currency))
        return out
