"""Test data for reports and disclosures.

Campaign states that no endpoint sets yet (draft, closed, a host, a period in the past)
are written to the campaign row directly. Goods and spending are recorded through the
ledger's own ``post`` with their supply rows, as their services will record them, until
those services' endpoints exist.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update

from kit.db import transaction, utcnow
from kit.events import Event
from kit.events.outbox import outbox, row_to_event
from kit.ids import new_id
from services.donations.campaigns.models import Campaign
from services.donations.ledger import service as ledger
from services.donations.ledger.chain import Posting
from services.donations.ledger.models import Account, EntryKind, expense_account
from services.donations.ledger.repository import LedgerRepository
from services.donations.supplies.models import (
    Distribution,
    DistributionLine,
    InKindDonation,
    MovementKind,
    Purchase,
    PurchaseLine,
    RecipientKind,
    StockItem,
    StockMovement,
)
from tests.support import client_for


def public_client(app: FastAPI) -> httpx.AsyncClient:
    """A client with no identity at all, as the gateway forwards a public request."""
    return client_for(app, None)


async def set_campaign(app: FastAPI, campaign_id: str, **values: Any) -> None:
    """Write campaign fields no endpoint sets yet (status, closed_at, host, ...)."""
    async with transaction(app.state.database, write=True) as session:
        await session.execute(
            update(Campaign)
            .where(Campaign.id == uuid.UUID(campaign_id))
            .values(version=Campaign.version + 1, **values)
        )


async def outbox_events(app: FastAPI, event_type: str) -> list[Event]:
    async with transaction(app.state.database, write=False) as session:
        rows = await session.execute(
            select(outbox).where(outbox.c.type == event_type).order_by(outbox.c.seq)
        )
        return [row_to_event(r) for r in rows]


class Goods:
    """Records goods and spending of one campaign fund the way the supplies, expenses,
    grants and conversion services do: their rows, then one ledger entry each."""

    def __init__(self, app: FastAPI, foundation_id: uuid.UUID, campaign_id: str) -> None:
        self.app = app
        self.foundation_id = foundation_id
        self.fund = uuid.UUID(campaign_id)
        self.items: dict[tuple[str, str], StockItem] = {}

    async def _post(self, kind: str, source_id: uuid.UUID, lines: list[Posting]) -> uuid.UUID:
        async with transaction(self.app.state.database, write=True) as session:
            entry = await ledger.post(
                LedgerRepository(session),
                self.foundation_id,
                kind=kind,
                fund_id=self.fund,
                source_id=source_id,
                lines=lines,
            )
            return entry.id

    async def _stock(
        self,
        name: str,
        unit: str,
        quantity: int,
        value: int,
        *,
        kind: MovementKind,
        source: uuid.UUID,
    ) -> uuid.UUID:
        async with transaction(self.app.state.database, write=True) as session:
            item = self.items.get((name, unit))
            if item is None:
                item = StockItem(
                    foundation_id=self.foundation_id,
                    fund_id=self.fund,
                    name=name,
                    unit=unit,
                    quantity=0,
                    value_minor=0,
                    currency="CNY",
                )
                session.add(item)
                await session.flush()
                self.items[(name, unit)] = item
            await session.execute(
                update(StockItem)
                .where(StockItem.id == item.id)
                .values(
                    quantity=StockItem.quantity + quantity,
                    value_minor=StockItem.value_minor + value,
                )
            )
            session.add(
                StockMovement(
                    item_id=item.id,
                    foundation_id=self.foundation_id,
                    kind=kind,
                    quantity=quantity,
                    value_minor=value,
                    source_id=source,
                )
            )
            return item.id

    def _cny(self, account: str, minor: int, currency: str = "CNY") -> Posting:
        return Posting(account, self.fund, currency, minor)

    async def in_kind(self, name: str, unit: str, quantity: int, value: int | None) -> None:
        source = new_id()
        item_id = await self._stock(
            name, unit, quantity, value or 0, kind=MovementKind.IN_KIND, source=source
        )
        entry_id = None
        if value:
            entry_id = await self._post(
                EntryKind.IN_KIND,
                source,
                [self._cny(Account.STOCK, value), self._cny(Account.IN_KIND, -value)],
            )
        async with transaction(self.app.state.database, write=True) as session:
            session.add(
                InKindDonation(
                    id=source,
                    foundation_id=self.foundation_id,
                    campaign_id=self.fund,
                    item_id=item_id,
                    item=name,
                    unit=unit,
                    quantity=quantity,
                    fair_value_minor=value,
                    currency="CNY" if value is not None else None,
                    donor_name="Secret Giver",
                    anonymous=True,
                    donor_contact="giver@example.org",
                    received_at=utcnow(),
                    entry_id=entry_id,
                )
            )

    async def purchase(self, lines: list[tuple[str, str, int, int]]) -> None:
        """``lines`` of (item, unit, quantity, unit price in minor units)."""
        source = new_id()
        total = sum(q * p for _, _, q, p in lines)
        entry_id = await self._post(
            EntryKind.PURCHASE,
            source,
            [self._cny(Account.STOCK, total), self._cny(Account.CASH, -total)],
        )
        item_ids = [
            await self._stock(n, u, q, q * p, kind=MovementKind.PURCHASE, source=source)
            for n, u, q, p in lines
        ]
        async with transaction(self.app.state.database, write=True) as session:
            session.add(
                Purchase(
                    id=source,
                    foundation_id=self.foundation_id,
                    campaign_id=self.fund,
                    supplier="Shekou Pharmacy",
                    purchased_at=utcnow(),
                    total_minor=total,
                    currency="CNY",
                    entry_id=entry_id,
                )
            )
            await session.flush()
            for position, ((name, unit, quantity, price), item_id) in enumerate(
                zip(lines, item_ids, strict=True)
            ):
                session.add(
                    PurchaseLine(
                        purchase_id=source,
                        position=position,
                        item_id=item_id,
                        item=name,
                        unit=unit,
                        quantity=quantity,
                        unit_price_minor=price,
                        amount_minor=quantity * price,
                    )
                )

    async def distribute(
        self, recipient: str, kind: RecipientKind, lines: list[tuple[str, str, int, int]]
    ) -> None:
        """``lines`` of (item, unit, quantity, value in minor units)."""
        source = new_id()
        value = sum(v for _, _, _, v in lines)
        entry_id = await self._post(
            EntryKind.DISTRIBUTION,
            source,
            [self._cny(Account.DISTRIBUTED, value), self._cny(Account.STOCK, -value)],
        )
        item_ids = [
            await self._stock(n, u, -q, -v, kind=MovementKind.DISTRIBUTION, source=source)
            for n, u, q, v in lines
        ]
        async with transaction(self.app.state.database, write=True) as session:
            session.add(
                Distribution(
                    id=source,
                    foundation_id=self.foundation_id,
                    campaign_id=self.fund,
                    fund_id=self.fund,
                    recipient_name=recipient,
                    recipient_kind=kind,
                    distributed_at=utcnow(),
                    entry_id=entry_id,
                )
            )
            await session.flush()
            for position, ((name, unit, quantity, v), item_id) in enumerate(
                zip(lines, item_ids, strict=True)
            ):
                session.add(
                    DistributionLine(
                        distribution_id=source,
                        position=position,
                        item_id=item_id,
                        item=name,
                        unit=unit,
                        quantity=quantity,
                        value_minor=v,
                    )
                )

    async def expense(self, category: str, minor: int) -> None:
        await self._post(
            EntryKind.EXPENSE,
            new_id(),
            [self._cny(expense_account(category), minor), self._cny(Account.CASH, -minor)],
        )

    async def grant_received(self, minor: int) -> None:
        await self._post(
            EntryKind.GRANT_RECEIVED,
            new_id(),
            [self._cny(Account.CASH, minor), self._cny(Account.GRANTS_RECEIVED, -minor)],
        )

    async def grant_paid(self, minor: int) -> None:
        await self._post(
            EntryKind.GRANT_PAID,
            new_id(),
            [self._cny(Account.GRANTS_PAID, minor), self._cny(Account.CASH, -minor)],
        )

    async def convert(self, from_minor: int, from_currency: str, to_minor: int) -> None:
        await self._post(
            EntryKind.CONVERSION,
            new_id(),
            [
                self._cny(Account.CASH, -from_minor, from_currency),
                self._cny(Account.EXCHANGE, from_minor, from_currency),
                self._cny(Account.CASH, to_minor),
                self._cny(Account.EXCHANGE, -to_minor),
            ],
        )


async def trial_balance(
    client: httpx.AsyncClient, fund_id: str
) -> dict[tuple[str, str], dict[str, Any]]:
    """The trial balance's rows of one fund, by (account, currency)."""
    response = await client.get("/api/v1/ledger/trial-balance")
    assert response.status_code == 200, response.text
    body = response.json()
    rows = {
        (r["account"], r["balance"]["currency"]): r for r in body["rows"] if r["fund_id"] == fund_id
    }
    return {**rows, ("head", ""): {"seq": body["head_seq"], "hash": body["head_hash"]}}
