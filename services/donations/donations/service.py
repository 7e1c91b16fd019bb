"""Donation rules. Never commits: the request's session does."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence

from kit.db import utcnow
from kit.errors import FieldProblem
from kit.events import emit, new_event
from kit.events.contracts import DonationReceivedV1
from kit.ids import new_id
from kit.money import format_minor
from kit.pagination import PageParams
from services.donations.campaigns.exceptions import CampaignClosed
from services.donations.campaigns.models import Campaign
from services.donations.donations.exceptions import (
    DonationInFuture,
    DonationNotFound,
    DuplicateTransaction,
)
from services.donations.donations.models import Channel, Donation
from services.donations.donations.repository import DonationRepository
from services.donations.donations.schemas import DonationCreate
from services.donations.ledger import service as ledger
from services.donations.ledger.chain import Posting
from services.donations.ledger.models import Account, EntryKind
from services.donations.ledger.repository import LedgerRepository

# Clocks of a partner's system and ours may disagree a little.
CLOCK_SKEW = dt.timedelta(minutes=5)


def donor_key(foundation_id: uuid.UUID, donation_id: uuid.UUID, data: DonationCreate) -> str:
    """Who the donor is, as far as the donation tells: the platform's donor id, else the
    contact, else the name of a donor who chose to be named; a donation that tells none of
    these is its own donor. Hashed: the key is for counting, not for finding anyone."""
    if data.donor_ref:
        who = f"ref:{data.donor_ref.strip()}"
    elif data.donor_contact:
        who = f"contact:{data.donor_contact.strip().lower()}"
    elif data.donor_name and not data.anonymous:
        who = f"name:{data.donor_name.strip()}"
    else:
        who = f"donation:{donation_id}"
    return hashlib.sha256(f"{foundation_id}:{who}".encode()).hexdigest()


def receipt_number(year: int, number: int) -> str:
    return f"{year}-{number:06d}"


async def record(
    repo: DonationRepository,
    campaign: Campaign,
    data: DonationCreate,
    *,
    import_id: uuid.UUID | None = None,
) -> Donation:
    """Record a money donation: the donation, its receipt number, the donor tally, the
    ledger entry (cash in, the campaign's restricted fund credited) and the event."""
    amount = data.amount.to_money()
    now = utcnow()
    donated_at = data.donated_at or now
    if donated_at > now + CLOCK_SKEW:
        raise DonationInFuture(
            errors=[FieldProblem(field="donated_at", message="is in the future", code="future")]
        )
    if not campaign.accepts_donations_at(now):
        raise CampaignClosed(
            f"campaign {campaign.id} is {campaign.status.value}"
            + (" and has ended" if campaign.ends_at and campaign.ends_at <= now else "")
            + "; donations are recorded only while it is open"
        )
    foundation_id = campaign.foundation_id
    if data.external_id is not None:
        earlier = await repo.by_external_id(foundation_id, data.channel, data.external_id)
        if earlier is not None:
            raise DuplicateTransaction(
                f"{data.channel.value} transaction {data.external_id!r} is already recorded "
                f"as donation {earlier.id}",
                errors=[
                    FieldProblem(field="external_id", message="already recorded", code="duplicate")
                ],
            )

    donation_id = new_id()
    year = donated_at.year
    number = await repo.next_receipt_number(foundation_id, year)
    await repo.count_donor(campaign.id, donor_key(foundation_id, donation_id, data))
    entry = await ledger.post(
        LedgerRepository(repo.session),
        foundation_id,
        kind=EntryKind.DONATION,
        fund_id=campaign.id,
        source_id=donation_id,
        lines=[
            Posting(Account.CASH, campaign.id, amount.currency, amount.minor),
            Posting(Account.DONATIONS, campaign.id, amount.currency, -amount.minor),
        ],
        memo=f"donation via {data.channel.value}",
    )
    donation = Donation(
        id=donation_id,
        campaign_id=campaign.id,
        foundation_id=foundation_id,
        amount_minor=amount.minor,
        currency=amount.currency,
        channel=data.channel,
        external_id=data.external_id,
        donor_name=data.donor_name,
        anonymous=data.anonymous,
        donor_contact=data.donor_contact,
        donor_ref=data.donor_ref,
        donated_at=donated_at,
        receipt_number=receipt_number(year, number),
        refunded_minor=0,
        import_id=import_id,
        entry_id=entry.id,
        created_at=now,
    )
    await repo.insert({c.key: getattr(donation, c.key) for c in Donation.__table__.columns})
    await emit(
        repo.session,
        new_event(
            DonationReceivedV1(
                donation_id=donation.id,
                campaign_id=campaign.id,
                amount=format_minor(amount.minor, amount.currency),
                currency=amount.currency,
                channel=data.channel.value,
                donated_at=donated_at,
            ),
            producer="donations",
            foundation_id=foundation_id,
        ),
    )
    return donation


async def list_page(
    repo: DonationRepository, campaign: Campaign, params: PageParams
) -> Sequence[Donation]:
    return await repo.list(campaign.id, params)


async def get(repo: DonationRepository, campaign: Campaign, donation_id: uuid.UUID) -> Donation:
    donation = await repo.get(campaign.id, donation_id)
    if donation is None:
        raise DonationNotFound(f"no donation {donation_id} in campaign {campaign.id}")
    return donation


__all__ = ["Channel", "get", "list_page", "record"]
