"""Stock rules: goods come into a fund's stock as in-kind donations or purchases and
leave it as distributions (each in its own package, using what is here). Never commits:
the request's session does.

Stock is kept per fund (a campaign, or the foundation's own id for its unrestricted fund),
item and unit, with the value it entered at. The ledger's ``stock`` account of a fund always
equals the sum of its items' values: goods in debit it (at fair value or cost), goods out
credit it with the value that leaves (see :func:`value_out`).

Each writer locks the stock rows it changes in id order and posts to the ledger last, so
concurrent requests queue instead of deadlocking, and a refusal of the ledger (too little
money) undoes the stock change with the rest of the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import PageParams
from services.donations.supplies.models import MovementKind, StockItem
from services.donations.supplies.repository import ItemKey, StockRepository


def value_out(value_minor: int, held: int, taken: int) -> int:
    """The value that leaves with ``taken`` of ``held`` units worth ``value_minor`` in all:
    the proportional share, rounded down, and the whole remainder with the last units, so
    that an emptied item is worth exactly zero and no fen is ever lost or made up."""
    if taken == held:
        return value_minor
    return value_minor * taken // held


@dataclass(frozen=True, slots=True)
class Addition:
    """Goods that enter a fund's stock: ``quantity`` units of ``key`` worth ``value_minor``."""

    key: ItemKey
    quantity: int
    value_minor: int


async def stock_in(
    session: AsyncSession,
    foundation_id: uuid.UUID,
    fund_id: uuid.UUID,
    currency: str,
    additions: Sequence[Addition],
    *,
    kind: MovementKind,
    source_id: uuid.UUID,
) -> dict[ItemKey, StockItem]:
    """Add goods to the fund's stock (one movement per addition); answers the items."""
    repo = StockRepository(session)
    keys = {a.key for a in additions}
    await repo.ensure_items(foundation_id, fund_id, currency, keys)
    items = await repo.lock_items(foundation_id, fund_id, keys)
    for a in additions:
        item = items[a.key]
        item.quantity += a.quantity
        item.value_minor += a.value_minor
    await repo.save_items()
    await repo.add_movements(
        [
            {
                "item_id": items[a.key].id,
                "foundation_id": foundation_id,
                "kind": kind,
                "quantity": a.quantity,
                "value_minor": a.value_minor,
                "source_id": source_id,
            }
            for a in additions
        ]
    )
    return items


async def list_stock(
    session: AsyncSession,
    foundation_id: uuid.UUID,
    fund_id: uuid.UUID | None,
    params: PageParams,
    *,
    in_stock: bool = False,
) -> Sequence[StockItem]:
    """The items of one fund, or of every fund of the foundation, newest first; with
    ``in_stock`` only those with units left."""
    return await StockRepository(session).items(foundation_id, fund_id, params, in_stock=in_stock)
