"""Supplies rules: goods come into a fund's stock as in-kind donations or purchases and
leave it as distributions. Never commits: the request's session does.

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
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from kit.db import utcnow
from kit.errors import FieldProblem
from kit.ids import new_id
from kit.money import MAX_MINOR_UNITS
from kit.pagination import PageParams
from services.donations.campaigns.models import Campaign
from services.donations.campaigns.repository import CampaignRepository
from services.donations.campaigns.service import (
    get_held,
    require_campaign_currency,
    require_open,
    require_spendable,
    require_within_period,
)
from services.donations.dates import not_in_future
from services.donations.ledger import service as ledger
from services.donations.ledger.chain import transfer
from services.donations.ledger.models import Account, EntryKind
from services.donations.ledger.repository import LedgerRepository
from services.donations.supplies.exceptions import (
    DistributionNotFound,
    FairValueInOtherCurrency,
    InKindDonationNotFound,
    InsufficientStock,
    PurchaseNotFound,
    TotalTooLarge,
)
from services.donations.supplies.models import (
    Distribution,
    DistributionLine,
    InKindDonation,
    MovementKind,
    Purchase,
    PurchaseLine,
    StockItem,
)
from services.donations.supplies.repository import ItemKey, SupplyRepository
from services.donations.supplies.schemas import (
    DistributionCreate,
    InKindDonationCreate,
    PurchaseCreate,
)


def value_out(value_minor: int, held: int, taken: int) -> int:
    """The value that leaves with ``taken`` of ``held`` units worth ``value_minor`` in all:
    the proportional share, rounded down, and the whole remainder with the last units, so
    that an emptied item is worth exactly zero and no fen is ever lost or made up."""
    if taken == held:
        return value_minor
    return value_minor * taken // held


async def _locked_campaign(repo: SupplyRepository, campaign: Campaign) -> Campaign:
    # Read again under a share lock: the status checked below stays true until commit.
    return await get_held(CampaignRepository(repo.session), campaign.foundation_id, campaign.id)


async def _spendable(repo: SupplyRepository, campaign: Campaign, what: str) -> Campaign:
    locked = await _locked_campaign(repo, campaign)
    require_spendable(locked, what)
    return locked


@dataclass(frozen=True, slots=True)
class _In:
    key: ItemKey
    quantity: int
    value_minor: int


async def _stock_in(
    repo: SupplyRepository,
    foundation_id: uuid.UUID,
    fund_id: uuid.UUID,
    currency: str,
    additions: Sequence[_In],
    *,
    kind: MovementKind,
    source_id: uuid.UUID,
) -> dict[ItemKey, StockItem]:
    """Add goods to the fund's stock (one movement per addition); answers the items."""
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


# In-kind donations


async def receive_in_kind(
    repo: SupplyRepository, campaign: Campaign, data: InKindDonationCreate
) -> InKindDonation:
    """Goods given to an open campaign enter its stock. With a fair value the ledger books
    it (stock debited, in-kind income credited); without one, no money moves."""
    now = utcnow()
    received_at = not_in_future(data.received_at, now, "received_at")
    fair_value = data.fair_value.to_money() if data.fair_value else None
    if fair_value is not None and fair_value.currency != campaign.currency:
        raise FairValueInOtherCurrency(
            f"the campaign keeps its accounts in {campaign.currency}; state the fair value "
            f"in {campaign.currency}",
            errors=[
                FieldProblem(
                    field="fair_value.currency",
                    message=f"must be {campaign.currency}, the campaign's currency",
                    code="currency_mismatch",
                )
            ],
        )
    campaign = await _locked_campaign(repo, campaign)
    require_open(campaign, "donations are received")
    require_within_period(campaign, received_at, "received_at")
    foundation_id, fund_id = campaign.foundation_id, campaign.id
    donation_id = new_id()
    value_minor = fair_value.minor if fair_value else 0
    key = (data.item, data.unit)
    items = await _stock_in(
        repo,
        foundation_id,
        fund_id,
        campaign.currency,
        [_In(key, data.quantity, value_minor)],
        kind=MovementKind.IN_KIND,
        source_id=donation_id,
    )
    entry_id = None
    if value_minor > 0:
        entry = await ledger.post(
            LedgerRepository(repo.session),
            foundation_id,
            kind=EntryKind.IN_KIND,
            fund_id=fund_id,
            source_id=donation_id,
            lines=transfer(
                debit=Account.STOCK,
                credit=Account.IN_KIND,
                fund_id=fund_id,
                currency=campaign.currency,
                minor=value_minor,
            ),
            memo=f"in-kind donation: {data.quantity} {data.unit} of {data.item}",
        )
        entry_id = entry.id
    donation = InKindDonation(
        id=donation_id,
        foundation_id=foundation_id,
        campaign_id=campaign.id,
        item_id=items[key].id,
        item=data.item,
        unit=data.unit,
        quantity=data.quantity,
        fair_value_minor=fair_value.minor if fair_value else None,
        currency=fair_value.currency if fair_value else None,
        donor_name=data.donor_name,
        anonymous=data.anonymous,
        donor_contact=data.donor_contact,
        received_at=received_at,
        entry_id=entry_id,
        created_at=now,
    )
    await repo.add_in_kind(donation)
    return donation


async def list_in_kind(
    repo: SupplyRepository, campaign: Campaign, params: PageParams
) -> Sequence[InKindDonation]:
    return await repo.list_in_kind(campaign.id, params)


async def get_in_kind(
    repo: SupplyRepository, campaign: Campaign, donation_id: uuid.UUID
) -> InKindDonation:
    donation = await repo.get_in_kind(campaign.id, donation_id)
    if donation is None:
        raise InKindDonationNotFound(f"no in-kind donation {donation_id} in campaign {campaign.id}")
    return donation


# Purchases


async def purchase(
    repo: SupplyRepository, campaign: Campaign, data: PurchaseCreate
) -> tuple[Purchase, list[PurchaseLine]]:
    """Buy goods with the campaign's money: cash credited, stock debited at cost, each
    line added to the stock. Refused (409, nothing kept) when the campaign does not hold
    the total in its currency, also when many purchases arrive at once."""
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
    campaign = await _spendable(repo, campaign, "its money is spent")
    foundation_id, fund_id, currency = campaign.foundation_id, campaign.id, campaign.currency
    purchase_id = new_id()
    items = await _stock_in(
        repo,
        foundation_id,
        fund_id,
        currency,
        [
            _In((line.item, line.unit), line.quantity, amount)
            for line, amount in zip(data.lines, amounts, strict=True)
        ],
        kind=MovementKind.PURCHASE,
        source_id=purchase_id,
    )
    entry = await ledger.post(
        LedgerRepository(repo.session),
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
    await repo.add_purchase(record, lines)
    return record, lines


async def list_purchases(
    repo: SupplyRepository, campaign: Campaign, params: PageParams
) -> tuple[Sequence[Purchase], dict[uuid.UUID, list[PurchaseLine]]]:
    purchases = await repo.list_purchases(campaign.id, params)
    return purchases, await repo.purchase_lines([p.id for p in purchases])


async def get_purchase(
    repo: SupplyRepository, campaign: Campaign, purchase_id: uuid.UUID
) -> tuple[Purchase, list[PurchaseLine]]:
    found = await repo.get_purchase(campaign.id, purchase_id)
    if found is None:
        raise PurchaseNotFound(f"no purchase {purchase_id} in campaign {campaign.id}")
    return found, (await repo.purchase_lines([found.id])).get(found.id, [])


# Distributions


async def distribute(
    repo: SupplyRepository, campaign: Campaign, data: DistributionCreate
) -> tuple[Distribution, list[tuple[DistributionLine, str]]]:
    """Hand goods of the campaign's stock to one recipient. Never more than the stock
    holds: 409 ``insufficient-stock`` naming each short item, and nothing changes. The
    value that leaves (see :func:`value_out`) is booked from stock to distributed."""
    now = utcnow()
    distributed_at = not_in_future(data.distributed_at, now, "distributed_at")
    campaign = await _spendable(repo, campaign, "its goods are given out")
    foundation_id, fund_id = campaign.foundation_id, campaign.id
    keys = [(line.item, line.unit) for line in data.lines]
    items = await repo.lock_items(foundation_id, fund_id, set(keys))

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
    lines: list[tuple[DistributionLine, str]] = []
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
    await repo.save_items()
    await repo.add_movements(movements)

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
            LedgerRepository(repo.session),
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
    await repo.add_distribution(distribution, [line for line, _ in lines])
    return distribution, lines


def _held(items: dict[ItemKey, StockItem], key: ItemKey) -> int:
    return items[key].quantity if key in items else 0


async def list_distributions(
    repo: SupplyRepository, campaign: Campaign, params: PageParams
) -> tuple[Sequence[Distribution], dict[uuid.UUID, list[tuple[DistributionLine, str]]]]:
    distributions = await repo.list_distributions(campaign.id, params)
    return distributions, await repo.distribution_lines([d.id for d in distributions])


async def get_distribution(
    repo: SupplyRepository, campaign: Campaign, distribution_id: uuid.UUID
) -> tuple[Distribution, list[tuple[DistributionLine, str]]]:
    found = await repo.get_distribution(campaign.id, distribution_id)
    if found is None:
        raise DistributionNotFound(f"no distribution {distribution_id} in campaign {campaign.id}")
    return found, (await repo.distribution_lines([found.id])).get(found.id, [])


# Stock


async def stock(
    repo: SupplyRepository,
    foundation_id: uuid.UUID,
    fund_id: uuid.UUID | None,
    params: PageParams,
    *,
    in_stock: bool = False,
) -> Sequence[StockItem]:
    """The items of one fund, or of every fund of the foundation, newest first; with
    ``in_stock`` only those with units left."""
    return await repo.stock(foundation_id, fund_id, params, in_stock=in_stock)


__all__ = [
    "distribute",
    "get_distribution",
    "get_in_kind",
    "get_purchase",
    "list_distributions",
    "list_in_kind",
    "list_purchases",
    "purchase",
    "receive_in_kind",
    "stock",
    "value_out",
]
