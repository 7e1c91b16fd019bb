"""In-kind donation rules. Never commits: the request's session does."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import utcnow
from kit.errors import FieldProblem
from kit.ids import new_id
from kit.pagination import PageParams
from services.donations.campaigns.models import Campaign
from services.donations.campaigns.service import require_open, require_within_period
from services.donations.dates import not_in_future
from services.donations.in_kind.exceptions import FairValueInOtherCurrency, InKindDonationNotFound
from services.donations.in_kind.models import InKindDonation
from services.donations.in_kind.repository import InKindRepository
from services.donations.in_kind.schemas import InKindDonationCreate
from services.donations.ledger import service as ledger
from services.donations.ledger.chain import transfer
from services.donations.ledger.models import Account, EntryKind
from services.donations.ledger.repository import LedgerRepository
from services.donations.supplies.models import MovementKind
from services.donations.supplies.service import Addition, stock_in


async def receive(
    session: AsyncSession, campaign: Campaign, data: InKindDonationCreate
) -> InKindDonation:
    """Goods given to an open campaign enter its stock. With a fair value the ledger books
    it (stock debited, in-kind income credited); without one, no money moves. ``campaign``
    is held (share-locked) by the route, so its state stays as checked until commit."""
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
    require_open(campaign, "donations are received")
    require_within_period(campaign, received_at, "received_at")
    foundation_id, fund_id = campaign.foundation_id, campaign.id
    donation_id = new_id()
    value_minor = fair_value.minor if fair_value else 0
    key = (data.item, data.unit)
    items = await stock_in(
        session,
        foundation_id,
        fund_id,
        campaign.currency,
        [Addition(key, data.quantity, value_minor)],
        kind=MovementKind.IN_KIND,
        source_id=donation_id,
    )
    entry_id = None
    if value_minor > 0:
        entry = await ledger.post(
            LedgerRepository(session),
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
    await InKindRepository(session).add(donation)
    return donation


async def list_page(
    session: AsyncSession, campaign: Campaign, params: PageParams
) -> Sequence[InKindDonation]:
    return await InKindRepository(session).for_campaign(campaign.id, params)


async def get(session: AsyncSession, campaign: Campaign, donation_id: uuid.UUID) -> InKindDonation:
    donation = await InKindRepository(session).get_in_campaign(campaign.id, donation_id)
    if donation is None:
        raise InKindDonationNotFound(f"no in-kind donation {donation_id} in campaign {campaign.id}")
    return donation
