"""Distribution rules. Never commits: the request's session does."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import utcnow
from kit.errors import FieldProblem
from kit.ids import new_id
from kit.pagination import PageParams
from services.donations.campaigns.models import Campaign
from services.donations.campaigns.service import require_spendable
from services.donations.dates import not_in_future
from services.donations.distributions.exceptions import DistributionNotFound, InsufficientStock
from services.donations.distributions.models import Distribution, DistributionLine
from services.donations.distributions.repository import DistributionRepository, LinesWithCurrency
from services.donations.distributions.schemas import DistributionCreate
from services.donations.ledger import service as ledger
from services.donations.ledger.chain import transfer
from services.donations.ledger.models import Account, EntryKind
from services.donations.ledger.repository import LedgerRepository
from services.donations.supplies.models import MovementKind, StockItem
from services.donations.supplies.repository import ItemKey, StockRepository
from services.donations.supplies.service import value_out


async def distribute(
    session: AsyncSession, campaign: Campaign, data: DistributionCreate
) -> tuple[Distribution, LinesWithCurrency]:
    """Hand goods of the campaign's stock to one recipient. Never more than the stock
    holds: 409 ``insufficient-stock`` naming each short item, and nothing changes. The
    value that leaves (see :func:`value_out`) is booked from stock to distributed.
    ``campaign`` is held (share-locked) by the route, so it stays spendable until commit."""
    now = utcnow()
    distributed_at = not_in_future(data.distributed_at, now, "distributed_at")
    require_spendable(campaign, "its goods are given out")
    foundation_id, fund_id = campaign.foundation_id, campaign.id
    stock = StockRepository(session)
    keys = [(line.item, line.unit) for line in data.lines]
    items = await stock.lock_items(foundation_id, fund_id, set(keys))

    asked: dict[ItemKey, int] = defaultdict(int)
    for key, line in zip(keys, data.lines, strict=True):
        asked[key] += line.quantity
    short = [
        (i, key)
        for i, key in enumerate(keys)
        if asked[key] > (items[key].quantity if key in items else 0)
    ]
    if short:
        raise InsufficientStock(
            "; ".join(
                f"{_held(items, key)} {key[1]} of {key[0]!r} in stock, {asked[key]} asked"
                for key in dict.fromkeys(key for _, key in short)
            ),
            errors=[
                FieldProblem(
                    field=f"lines.{i}.quantity",
                    message=f"the stock holds {_held(items, key)} {key[1]} of {key[0]!r}; "
                    f"{asked[key]} asked",
                    code="insufficient_stock",
                )
                for i, key in short
            ],
        )

    distribution_id = new_id()
    lines: LinesWithCurrency = []
    movements = []
    out_by_currency: dict[str, int] = defaultdict(int)
    for i, (key, line) in enumerate(zip(keys, data.lines, strict=True)):
        item = items[key]
        value = value_out(item.value_minor, item.quantity, line.quantity)
        item.quantity -= line.quantity
        item.value_minor -= value
        out_by_currency[item.currency] += value
        lines.append(
            (
                DistributionLine(
                    id=new_id(),
                    distribution_id=distribution_id,
                    position=i,
                    item_id=item.id,
                    item=item.name,
                    unit=item.unit,
                    quantity=line.quantity,
                    value_minor=value,
                ),
                item.currency,
            )
        )
        movements.append(
            {
                "item_id": item.id,
                "foundation_id": foundation_id,
                "kind": MovementKind.DISTRIBUTION,
                "quantity": -line.quantity,
                "value_minor": -value,
                "source_id": distribution_id,
            }
        )
    await stock.save_items()
    await stock.add_movements(movements)

    postings = []
    for currency, value in sorted(out_by_currency.items()):
        if value > 0:
            postings += transfer(
                debit=Account.DISTRIBUTED,
                credit=Account.STOCK,
                fund_id=fund_id,
                currency=currency,
                minor=value,
            )
    entry_id = None
    if postings:
        entry = await ledger.post(
            LedgerRepository(session),
            foundation_id,
            kind=EntryKind.DISTRIBUTION,
            fund_id=fund_id,
            source_id=distribution_id,
            lines=postings,
            memo=f"distribution to {data.recipient.name} ({data.recipient.kind.value})",
        )
        entry_id = entry.id
    distribution = Distribution(
        id=distribution_id,
        foundation_id=foundation_id,
        campaign_id=campaign.id,
        fund_id=fund_id,
        recipient_name=data.recipient.name,
        recipient_kind=data.recipient.kind,
        distributed_at=distributed_at,
        note=data.note,
        entry_id=entry_id,
        created_at=now,
    )
    await DistributionRepository(session).add_with_lines(distribution, [line for line, _ in lines])
    return distribution, lines


def _held(items: dict[ItemKey, StockItem], key: ItemKey) -> int:
    return items[key].quantity if key in items else 0


async def list_page(
    session: AsyncSession, campaign: Campaign, params: PageParams
) -> tuple[Sequence[Distribution], dict[uuid.UUID, LinesWithCurrency]]:
    """A page of the campaign's distributions, with the lines of each."""
    repo = DistributionRepository(session)
    distributions = await repo.for_campaign(campaign.id, params)
    return distributions, await repo.lines([d.id for d in distributions])


async def get(
    session: AsyncSession, campaign: Campaign, distribution_id: uuid.UUID
) -> tuple[Distribution, LinesWithCurrency]:
    repo = DistributionRepository(session)
    found = await repo.get_in_campaign(campaign.id, distribution_id)
    if found is None:
        raise DistributionNotFound(f"no distribution {distribution_id} in campaign {campaign.id}")
    return found, (await repo.lines([found.id])).get(found.id, [])
