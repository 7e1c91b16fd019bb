"""All SQL of stock items and their movements.

Every writer locks the items it changes in the order of their ids, and before the
ledger's head lock, so that two writers never wait on each other in a circle."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import Table, insert, select, tuple_

from kit.pagination import PageParams
from kit.repository import Repository, insert_ignoring_conflicts
from services.donations.supplies.models import StockItem, StockMovement

ItemKey = tuple[str, str]  # (name, unit)

_ENSURE_ITEM = insert_ignoring_conflicts(
    cast(Table, StockItem.__table__), "foundation_id", "fund_id", "name", "unit"
)
_INSERT_MOVEMENTS = insert(cast(Table, StockMovement.__table__))


class StockRepository(Repository[StockItem]):
    model = StockItem

    async def ensure_items(
        self, foundation_id: uuid.UUID, fund_id: uuid.UUID, currency: str, keys: Collection[ItemKey]
    ) -> None:
        """Make the fund's items of ``keys`` exist (empty) if they do not yet."""
        stmt = _ENSURE_ITEM.of(self.session)
        for name, unit in sorted(keys):
            await self.session.execute(
                stmt,
                {
                    "foundation_id": foundation_id,
                    "fund_id": fund_id,
                    "name": name,
                    "unit": unit,
                    "quantity": 0,
                    "value_minor": 0,
                    "currency": currency,
                },
            )

    async def lock_items(
        self, foundation_id: uuid.UUID, fund_id: uuid.UUID, keys: Collection[ItemKey]
    ) -> dict[ItemKey, StockItem]:
        """The fund's existing items of ``keys``, read afresh and locked exclusively (in id
        order) until commit."""
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
        return {(item.name, item.unit): item for item in await self.all(stmt)}

    async def save_items(self) -> None:
        """Write the changes made to the locked items (their locks are already held)."""
        await self.session.flush()

    async def add_movements(self, movements: Sequence[dict[str, Any]]) -> None:
        if movements:
            await self.session.execute(_INSERT_MOVEMENTS, list(movements))

    async def items(
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
        return await self.page(stmt, params)
