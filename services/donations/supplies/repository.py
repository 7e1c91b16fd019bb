from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import insert, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from kit.ids import new_id
from kit.pagination import PageParams
from services.donations.supplies.models import (
    Distribution,
    DistributionLine,
    InKindDonation,
    Purchase,
    PurchaseLine,
    StockItem,
    StockMovement,
)

ItemKey = tuple[str, str]  # (name, unit)


class SupplyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _insert(self) -> Any:
        dialect = self.session.get_bind().dialect.name
        return postgresql.insert if dialect == "postgresql" else sqlite.insert

    # Stock items. Every writer locks the rows it changes in the order of their ids, and
    # before the ledger's head lock, so that two writers never wait on each other in a
    # circle.

    async def ensure_items(
        self, foundation_id: uuid.UUID, fund_id: uuid.UUID, currency: str, keys: Collection[ItemKey]
    ) -> None:
        """Make the fund's items of ``keys`` exist (empty) if they do not yet."""
        stmt = self._insert()(StockItem).on_conflict_do_nothing(
            index_elements=["foundation_id", "fund_id", "name", "unit"]
        )
        for name, unit in sorted(keys):
            await self.session.execute(
                stmt.values(
                    id=new_id(),
                    foundation_id=foundation_id,
                    fund_id=fund_id,
                    name=name,
                    unit=unit,
                    quantity=0,
                    value_minor=0,
                    currency=currency,
                )
            )

    async def lock_items(
        self, foundation_id: uuid.UUID, fund_id: uuid.UUID, keys: Collection[ItemKey]
    ) -> dict[ItemKey, StockItem]:
        """The fund's existing items of ``keys``, locked in id order until commit."""
        if not keys:
            return {}
        stmt = (
            select(StockItem)
            .where(
                StockItem.foundation_id == foundation_id,
                StockItem.fund_id == fund_id,
                tuple_(StockItem.name, StockItem.unit).in_(sorted(keys)),
            )
            .order_by(StockItem.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        items = (await self.session.execute(stmt)).scalars().all()
        return {(item.name, item.unit): item for item in items}

    async def save_items(self) -> None:
        """Write the changes made to the locked items (their locks are already held)."""
        await self.session.flush()

    async def add_movements(self, movements: Sequence[dict[str, Any]]) -> None:
        if movements:
            await self.session.execute(insert(StockMovement), list(movements))

    async def stock(
        self,
        foundation_id: uuid.UUID,
        fund_id: uuid.UUID | None,
        params: PageParams,
        *,
        in_stock: bool = False,
    ) -> Sequence[StockItem]:
        stmt = select(StockItem).where(StockItem.foundation_id == foundation_id)
        if fund_id is not None:
            stmt = stmt.where(StockItem.fund_id == fund_id)
        if in_stock:
            stmt = stmt.where(StockItem.quantity > 0)
        return (await self.session.execute(params.apply(stmt, StockItem.id))).scalars().all()

    # In-kind donations

    async def add_in_kind(self, donation: InKindDonation) -> None:
        self.session.add(donation)
        await self.session.flush()

    async def get_in_kind(
        self, campaign_id: uuid.UUID, donation_id: uuid.UUID
    ) -> InKindDonation | None:
        stmt = select(InKindDonation).where(
            InKindDonation.id == donation_id, InKindDonation.campaign_id == campaign_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def list_in_kind(
        self, campaign_id: uuid.UUID, params: PageParams
    ) -> Sequence[InKindDonation]:
        stmt = select(InKindDonation).where(InKindDonation.campaign_id == campaign_id)
        return (await self.session.execute(params.apply(stmt, InKindDonation.id))).scalars().all()

    # Purchases

    async def add_purchase(self, purchase: Purchase, lines: Sequence[PurchaseLine]) -> None:
        self.session.add(purchase)
        await self.session.flush()
        self.session.add_all(lines)
        await self.session.flush()

    async def get_purchase(self, campaign_id: uuid.UUID, purchase_id: uuid.UUID) -> Purchase | None:
        stmt = select(Purchase).where(
            Purchase.id == purchase_id, Purchase.campaign_id == campaign_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def list_purchases(
        self, campaign_id: uuid.UUID, params: PageParams
    ) -> Sequence[Purchase]:
        stmt = select(Purchase).where(Purchase.campaign_id == campaign_id)
        return (await self.session.execute(params.apply(stmt, Purchase.id))).scalars().all()

    async def purchase_lines(
        self, purchase_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[PurchaseLine]]:
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

    # Distributions

    async def add_distribution(
        self, distribution: Distribution, lines: Sequence[DistributionLine]
    ) -> None:
        self.session.add(distribution)
        await self.session.flush()
        self.session.add_all(lines)
        await self.session.flush()

    async def get_distribution(
        self, campaign_id: uuid.UUID, distribution_id: uuid.UUID
    ) -> Distribution | None:
        stmt = select(Distribution).where(
            Distribution.id == distribution_id, Distribution.campaign_id == campaign_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def list_distributions(
        self, campaign_id: uuid.UUID, params: PageParams
    ) -> Sequence[Distribution]:
        stmt = select(Distribution).where(Distribution.campaign_id == campaign_id)
        return (await self.session.execute(params.apply(stmt, Distribution.id))).scalars().all()

    async def distribution_lines(
        self, distribution_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[tuple[DistributionLine, str]]]:
        """Each distribution's lines with the currency of their item's value."""
        out: dict[uuid.UUID, list[tuple[DistributionLine, str]]] = defaultdict(list)
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
