"""Refund rules. Never commits: the request's session does."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import utcnow
from kit.errors import FieldProblem
from kit.ids import new_id
from kit.money import format_minor
from kit.pagination import PageParams
from services.donations.campaigns.exceptions import CampaignSettled
from services.donations.campaigns.models import Campaign, CampaignStatus
from services.donations.donations import service as donations
from services.donations.donations.models import Donation
from services.donations.ledger import service as ledger
from services.donations.ledger.chain import transfer
from services.donations.ledger.models import Account, EntryKind
from services.donations.ledger.repository import LedgerRepository
from services.donations.refunds.exceptions import RefundCurrencyMismatch, RefundExceedsDonation
from services.donations.refunds.models import Refund
from services.donations.refunds.repository import RefundRepository
from services.donations.refunds.schemas import RefundCreate


async def refund(
    session: AsyncSession, campaign: Campaign, donation_id: uuid.UUID, data: RefundCreate
) -> Refund:
    """Give back all or part of a donation to ``campaign``, which the request holds
    against a concurrent change of its state (so it cannot be settled while the refund is
    recorded): never more than is left of the donation (checked under its row lock, so
    concurrent refunds cannot together exceed it), never once the campaign is settled, and
    never money the campaign has already spent (the ledger refuses to take its cash below
    zero: ``InsufficientFunds``, 409). The refund is a new ledger entry (the campaign's
    donation income debited, its cash credited); the donation itself only counts what was
    refunded."""
    donation = await donations.get(session, campaign, donation_id)
    amount = data.amount.to_money()
    if amount.currency != donation.currency:
        raise RefundCurrencyMismatch(
            f"donation {donation.id} was given in {donation.currency}; "
            f"it is refunded in {donation.currency}, not {amount.currency}",
            errors=[
                FieldProblem(
                    field="amount.currency",
                    message=f"must be {donation.currency}, the donation's currency",
                    code="currency_mismatch",
                )
            ],
        )
    if campaign.status is CampaignStatus.SETTLED:
        raise CampaignSettled(
            f"campaign {campaign.id} is settled: its accounts are final and no refund of it "
            "can be recorded"
        )
    repo = RefundRepository(session)
    if await repo.take_refund(donation.id, amount.minor) is None:
        refunded = await repo.refunded_minor(donation.id)
        left = format_minor(donation.amount_minor - refunded, donation.currency)
        raise RefundExceedsDonation(
            f"{left} {donation.currency} is left to refund of donation {donation.id} "
            f"({donation.amount} given, {format_minor(refunded, donation.currency)} "
            f"{donation.currency} refunded); this refund asks for {amount}",
            errors=[
                FieldProblem(
                    field="amount.amount",
                    message=f"exceeds the {left} {donation.currency} left to refund",
                    code="exceeds_donation",
                )
            ],
        )
    refund_id = new_id()
    entry = await ledger.post(
        LedgerRepository(session),
        campaign.foundation_id,
        kind=EntryKind.REFUND,
        fund_id=campaign.id,
        source_id=refund_id,
        lines=transfer(
            debit=Account.DONATIONS,
            credit=Account.CASH,
            fund_id=campaign.id,
            currency=amount.currency,
            minor=amount.minor,
        ),
        memo=f"refund of donation {donation.id}",
    )
    return await repo.add(
        Refund(
            id=refund_id,
            donation_id=donation.id,
            campaign_id=campaign.id,
            foundation_id=campaign.foundation_id,
            amount_minor=amount.minor,
            currency=amount.currency,
            reason=data.reason,
            entry_id=entry.id,
            created_at=utcnow(),
        )
    )


async def list_page(
    session: AsyncSession, donation: Donation, params: PageParams
) -> Sequence[Refund]:
    return await RefundRepository(session).of_donation(donation.id, params)
