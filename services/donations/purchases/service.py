"""Purchase rules. Never commits: the request's session does."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import utcnow
from kit.errors import FieldProblem
from kit.ids import new_id
from kit.money import MAX_MINOR_UNITS
from kit.pagination import PageParams
from services.donations.campaigns.models import Campaign
from services.donations.campaigns.service import require_campaign_currency, require_spendable
from services.donations.dates import not_in_future
from services.donations.ledger import service as ledger
from services.donations.ledger.chain import transfer
from services.donations.ledger.models import Account, EntryKind
from services.donations.ledger.repository import LedgerRepository
from services.donations.purchases.exceptions import PurchaseNotFound, TotalTooLarge
from services.donations.purchases.models import Purchase, PurchaseLine
from services.donations.purchases.repository import PurchaseRepository
from services.donations.purchases.schemas import PurchaseCreate
from services.donations.supplies.models import MovementKind
from services.donations.supplies.service import Addition, stock_in


async def purchase(
    session: AsyncSession, campaign: Campaign, data: PurchaseCreate
) -> tuple[Purchase, list[PurchaseLine]]:
    """Buy goods with the campaign's money: cash credited, stock debited at cost, each
    line added to the stock. Refused (409, nothing kept) when the campaign does not hold
    the total in its currency, also when many purchases arrive at once. ``campaign`` is
    held (share-locked) by the route, so it stays spendable until commit."""
    now = utcnow()
    require_campaign_currency(
        campaign,
        {
            f"lines.{i}.unit_price.currency": line.unit_price.currency
            for i, line in enumerate(data.lines)
        },
    )
    amounts = [line.quantity * line.unit_price.to_money().minor for line in data.lines]
    total = sum(amounts)
    if total >= MAX_MINOR_UNITS:
        raise TotalTooLarge(
            "the purchase's total is beyond what any account can hold",
            errors=[FieldProblem(field="lines", message="total is too large", code="too_large")],
        )
    purchased_at = not_in_future(data.purchased_at, now, "purchased_at")
    require_spendable(campaign, "its money is spent")
    foundation_id, fund_id, currency = campaign.foundation_id, campaign.id, campaign.currency
    purchase_id = new_id()
    items = await stock_in(
        session,
        foundation_id,
        fund_id,
        currency,
        [
            Addition((line.item, line.unit), line.quantity, amount)
            for line, amount in zip(data.lines, amounts, strict=True)
        ],
        kind=MovementKind.PURCHASE,
        source_id=purchase_id,
    )
    entry = await ledger.post(
        LedgerRepository(session),
        foundation_id,
        kind=EntryKind.PURCHASE,
        fund_id=fund_id,
        source_id=purchase_id,
        lines=transfer(
            debit=Account.STOCK,
            credit=Account.CASH,
            fund_id=fund_id,
            currency=currency,
            minor=total,
        ),
        memo=f"purchase from {data.supplier}",
    )
    record = Purchase(
        id=purchase_id,
        foundation_id=foundation_id,
        campaign_id=campaign.id,
        supplier=data.supplier,
        purchased_at=purchased_at,
        total_minor=total,
        currency=currency,
        evidence_ref=data.evidence.ref if data.evidence else None,
        evidence_sha256=data.evidence.sha256 if data.evidence else None,
        note=data.note,
        entry_id=entry.id,
        created_at=now,
    )
    lines = [
        PurchaseLine(
            id=new_id(),
            purchase_id=purchase_id,
            position=i,
            item_id=items[(line.item, line.unit)].id,
            item=line.item,
            unit=line.unit,
            quantity=line.quantity,
            unit_price_minor=line.unit_price.to_money().minor,
            amount_minor=amount,
        )
        for i, (line, amount) in enumerate(zip(data.lines, amounts, strict=True))
    ]
    await PurchaseRepository(session).add_with_lines(record, lines)
    return record, lines


async def list_page(
    session: AsyncSession, campaign: Campaign, params: PageParams
) -> tuple[Sequence[Purchase], dict[uuid.UUID, list[PurchaseLine]]]:
    """A page of the campaign's purchases, with the lines of each."""
    repo = PurchaseRepository(session)
    purchases = await repo.for_campaign(campaign.id, params)
    return purchases, await repo.lines([p.id for p in purchases])


async def get(
    session: AsyncSession, campaign: Campaign, purchase_id: uuid.UUID
) -> tuple[Purchase, list[PurchaseLine]]:
    repo = PurchaseRepository(session)
    found = await repo.get_in_campaign(campaign.id, purchase_id)
    if found is None:
        raise PurchaseNotFound(f"no purchase {purchase_id} in campaign {campaign.id}")
    return found, (await repo.lines([found.id])).get(found.id, [])
