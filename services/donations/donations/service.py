"""Donation rules. Never commits: the request's session does."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.donations import DonationReceivedV1
from kit.db import utcnow
from kit.errors import FieldProblem
from kit.events import Event, emit_many, new_event
from kit.ids import new_id
from kit.money import format_minor
from kit.pagination import PageParams
from services.donations.campaigns import service as campaigns
from services.donations.campaigns.models import Campaign
from services.donations.dates import not_in_future
from services.donations.donations.exceptions import (
    DonationNotFound,
    DuplicateTransaction,
)
from services.donations.donations.models import Channel, Donation
from services.donations.donations.repository import DonationRepository
from services.donations.donations.schemas import (
    DonationCreate,
)
from services.donations.ledger import service as ledger
from services.donations.ledger.chain import transfer
from services.donations.ledger.models import Account, EntryKind
from services.donations.ledger.repository import LedgerRepository
from services.donations.log.repository import LogRepository


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


def channel_of(campaign: Campaign, data: DonationCreate) -> Channel:
    """The donation's channel; one that names none came in on the host's platform if the
    campaign raises on one, else it is :attr:`Channel.UNSPECIFIED`: never a guess that
    reports would then show as a fact. (A CSV import's rows always name one: the file is
    a host platform's export, so an empty cell is ``host_platform``.)"""
    if data.channel is not None:
        return data.channel
    return Channel.HOST_PLATFORM if campaign.host_platform else Channel.UNSPECIFIED


async def record(session: AsyncSession, campaign: Campaign, data: DonationCreate) -> Donation:
    """Record a money donation to ``campaign``, held by the request against a concurrent
    close: the donation, its donor, the ledger entry (cash in, the campaign's restricted
    fund credited) and the event. Its receipt number follows when the log takes it in."""
    now = utcnow()
    donated_at = not_in_future(data.donated_at, now, "donated_at")
    campaigns.require_open(campaign, "donations are recorded")
    campaigns.require_within_period(campaign, donated_at, "donated_at")
    channel = channel_of(campaign, data)
    if data.external_id is not None:
        earlier = await DonationRepository(session).by_external_id(
            campaign.foundation_id, channel, data.external_id
        )
        if earlier is not None:
            raise DuplicateTransaction(
                f"{channel.value} transaction {data.external_id!r} is already recorded "
                f"as donation {earlier.id}",
                errors=[
                    FieldProblem(field="external_id", message="already recorded", code="duplicate")
                ],
            )
    [donation] = await store(session, campaign, [(data, donated_at)], now=now)
    return donation


# Rows of an import are stored this many at a time: a constant number of statements per
# batch, each statement of a size every backend takes comfortably.
STORE_BATCH = 1000


async def store(
    session: AsyncSession,
    campaign: Campaign,
    gifts: Sequence[tuple[DonationCreate, dt.datetime]],
    *,
    now: dt.datetime,
    import_id: uuid.UUID | None = None,
) -> list[Donation]:
    """Store checked donations (each with its time of giving), in order: ledger entries,
    the donations, their donors and their events. The one way donations are stored, one
    (:func:`record`) or thousands (an import) at a time, with a constant number of
    statements per :data:`STORE_BATCH` gifts.

    Nothing here is foundation-wide: a credit takes no balance lock, and the receipt
    numbers and the unique-donor tally are given by the log's sequencer when it takes the
    entries in (``donations.integration``)."""
    if not gifts:
        return []
    repo = DonationRepository(session)
    foundation_id = campaign.foundation_id
    ids = [new_id() for _ in gifts]
    ledger_repo = LedgerRepository(session)
    stored: list[Donation] = []
    first_entries: dict[str, uuid.UUID] = {}
    for start in range(0, len(gifts), STORE_BATCH):
        batch = range(start, min(start + STORE_BATCH, len(gifts)))
        entries = await ledger.post_many(
            ledger_repo,
            foundation_id,
            [_entry(campaign, ids[i], gifts[i][0]) for i in batch],
        )
        donations = [
            _donation(
                campaign,
                ids[i],
                gifts[i][0],
                donated_at=gifts[i][1],
                entry_id=entry.id,
                import_id=import_id,
                now=now,
            )
            for i, entry in zip(batch, entries, strict=True)
        ]
        await repo.insert_many(
            [{c.key: getattr(d, c.key) for c in Donation.__table__.columns} for d in donations]
        )
        await emit_many(session, [_received(d) for d in donations])
        for i, entry in zip(batch, entries, strict=True):
            first_entries.setdefault(donor_key(foundation_id, ids[i], gifts[i][0]), entry.id)
        stored.extend(donations)
    await repo.add_donors(campaign.id, first_entries)
    return stored


def _entry(campaign: Campaign, donation_id: uuid.UUID, data: DonationCreate) -> ledger.NewEntry:
    amount = data.amount.to_money()
    campaign_id = campaign.id
    return ledger.NewEntry(
        kind=EntryKind.DONATION,
        fund_id=campaign_id,
        source_id=donation_id,
        lines=transfer(
            debit=Account.CASH,
            credit=Account.DONATIONS,
            fund_id=campaign_id,
            currency=amount.currency,
            minor=amount.minor,
        ),
        memo=f"donation via {channel_of(campaign, data).value}",
    )


def _donation(
    campaign: Campaign,
    donation_id: uuid.UUID,
    data: DonationCreate,
    *,
    donated_at: dt.datetime,
    entry_id: uuid.UUID,
    import_id: uuid.UUID | None,
    now: dt.datetime,
) -> Donation:
    amount = data.amount.to_money()
    return Donation(
        id=donation_id,
        campaign_id=campaign.id,
        foundation_id=campaign.foundation_id,
        amount_minor=amount.minor,
        currency=amount.currency,
        channel=channel_of(campaign, data),
        external_id=data.external_id,
        donor_name=data.donor_name,
        anonymous=data.anonymous,
        donor_contact=data.donor_contact,
        donor_ref=data.donor_ref,
        donated_at=donated_at,
        receipt_number=None,
        refunded_minor=0,
        import_id=import_id,
        entry_id=entry_id,
        created_at=now,
    )


def _received(donation: Donation) -> Event:
    return new_event(
        DonationReceivedV1(
            donation_id=donation.id,
            campaign_id=donation.campaign_id,
            amount=format_minor(donation.amount_minor, donation.currency),
            currency=donation.currency,
            channel=donation.channel.value,
            donated_at=donation.donated_at,
        ),
        producer="donations",
        foundation_id=donation.foundation_id,
    )


async def list_page(
    session: AsyncSession, campaign: Campaign, params: PageParams
) -> Sequence[Donation]:
    return await DonationRepository(session).of_campaign(campaign.id, params)


async def get(session: AsyncSession, campaign: Campaign, donation_id: uuid.UUID) -> Donation:
    """The campaign's donation; one of another campaign is 'not found'."""
    donation = await DonationRepository(session).in_campaign(campaign.id, donation_id)
    if donation is None:
        raise DonationNotFound(f"no donation {donation_id} in campaign {campaign.id}")
    return donation


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a receipt shows besides the donation and its campaign."""

    donation: Donation
    campaign: Campaign
    foundation_name: str | None
    entry_hash: str
    log_seq: int | None
    issued_at: dt.datetime


async def receipt(session: AsyncSession, campaign: Campaign, donation: Donation) -> Receipt:
    repo = DonationRepository(session)
    return Receipt(
        donation=donation,
        campaign=campaign,
        foundation_name=await repo.foundation_name(campaign.foundation_id),
        entry_hash=await repo.entry_hash(donation.entry_id),
        log_seq=await LogRepository(session).seq_of_entry(donation.entry_id),
        issued_at=utcnow(),
    )
