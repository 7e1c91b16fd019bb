"""All SQL of purchases and their lines."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select

from kit.pagination import PageParams
from kit.repository import Repository
from services.donations.purchases.models import Purchase, PurchaseLine


class PurchaseRepository(Repository[Purchase]):
    model = Purchase

    async def add_with_lines(self, purchase: Purchase, lines: Sequence[PurchaseLine]) -> None:
        await self.add(purchase)
        self.session.add_all(lines)
        await self.session.flush()

    async def get_in_campaign(
        self, campaign_id: uuid.UUID, purchase_id: uuid.UUID
    ) -> Purchase | None:
        return await self.one_or_none(
            select(Purchase).where(Purchase.id == purchase_id, Purchase.campaign_id == campaign_id)
        )

    async def for_campaign(self, campaign_id: uuid.UUID, params: PageParams) -> Sequence[Purchase]:
        return await self.page(select(Purchase).where(Purchase.campaign_id == campaign_id), params)

    async def lines(self, purchase_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[PurchaseLine]]:
        """Each purchase's lines, in their order."""
        out: dict[uuid.UUID, list[PurchaseLine]] = defaultdict(list)
        if purchase_ids:
            stmt = (
                select(PurchaseLine)
                .where(PurchaseLine.purchase_id.in_(purchase_ids))
                .order_by(PurchaseLine.purchase_id, PurchaseLine.position)
            )
            for line in (await self.session.execute(stmt)).scalars():
                out[line.purchase_id].append(line)
        return out
