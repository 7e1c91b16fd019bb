"""Donation rules. Never commits: the request's session does."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from kit.db import utcnow
from kit.errors import FieldProblem
from kit.events import Event, emit_many, new_event
from kit.events.contracts import DonationReceivedV1
from kit.ids import new_id
from kit.money import format_minor
from kit.pagination import PageParams
from services.donations.campaigns import service as campaigns
from services.donations.campaigns.exceptions import CampaignSettled
from services.donations.campaigns.models import Campaign, CampaignStatus
from services.donations.campaigns.repository import CampaignRepository
from services.donations.campaigns.service import get_held
from services.donations.dates import CLOCK_SKEW, not_in_future
from services.donations.donations import imports, receipts
from services.donations.donations.exceptions import (
    DonationNotFound,
    DuplicateTransaction,
    ImportHasInvalidRows,
    RefundCurrencyMismatch,
    RefundExceedsDonation,
)
from services.donations.donations.models import Channel, Donation, DonationImport, Refund
from services.donations.donations.repository import DonationRepository
from services.donations.donations.schemas import (
    DonationCreate,
    ImportRowReport,
    ImportRowStatus,
    RefundCreate,
)
from services.donations.ledger import service as ledger
from services.donations.ledger.chain import transfer
from services.donations.ledger.models import Account, EntryKind
from services.donations.ledger.repository import LedgerRepository


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


def channel_of(campaign: Campaign, data: DonationCreate) -> Channel:
    """The donation's channel; one that names none came in on the host's platform if the
    campaign raises on one, else it is :attr:`Channel.UNSPECIFIED`: never a guess that
    reports would then show as a fact. (A CSV import's rows always name one: the file is
    a host platform's export, so an empty cell is ``host_platform``.)"""
    if data.channel is not None:
        return data.channel
    return Channel.HOST_PLATFORM if campaign.host_platform else Channel.UNSPECIFIED


async def record(repo: DonationRepository, campaign: Campaign, data: DonationCreate) -> Donation:
    """Record a money donation: the donation, its receipt number, the donor tally, the
    ledger entry (cash in, the campaign's restricted fund credited) and the event."""
    now = utcnow()
    donated_at = not_in_future(data.donated_at, now, "donated_at")
    campaigns.require_open(campaign, "donations are recorded")
    campaigns.require_within_period(campaign, donated_at, "donated_at")
    channel = channel_of(campaign, data)
    if data.external_id is not None:
        earlier = await repo.by_external_id(campaign.foundation_id, channel, data.external_id)
        if earlier is not None:
            raise DuplicateTransaction(
                f"{channel.value} transaction {data.external_id!r} is already recorded "
                f"as donation {earlier.id}",
                errors=[
                    FieldProblem(field="external_id", message="already recorded", code="duplicate")
                ],
            )
    [donation] = await _store(repo, campaign, [(data, donated_at)], now=now)
    return donation


# Rows of an import are stored this many at a time: a constant number of statements per
# batch, each statement of a size every backend takes comfortably.
STORE_BATCH = 1000


async def _store(
    repo: DonationRepository,
    campaign: Campaign,
    gifts: Sequence[tuple[DonationCreate, dt.datetime]],
    *,
    now: dt.datetime,
    import_id: uuid.UUID | None = None,
) -> list[Donation]:
    """Store checked donations (each with its time of giving), in order: receipt numbers,
    donor tally, ledger entries, the donations and their events. The one way donations
    are stored, one (:func:`record`) or thousands (:func:`import_csv`) at a time, with a
    constant number of statements per :data:`STORE_BATCH` gifts.

    Locks are taken in the order every recording takes them: the receipt counters
    (ascending years), the donors, the campaign's tally, the ledger's head. All counters
    and donors of all gifts come first, so a transaction never waits for one of them while
    holding the head (see ``take_receipt_numbers``)."""
    if not gifts:
        return []
    foundation_id = campaign.foundation_id
    ids = [new_id() for _ in gifts]
    years = [receipts.receipt_year(donated_at) for _, donated_at in gifts]
    next_number = {
        year: await repo.take_receipt_numbers(foundation_id, year, count)
        for year, count in sorted(Counter(years).items())
    }
    numbers = []
    for year in years:
        numbers.append(receipt_number(year, next_number[year]))
        next_number[year] += 1
    await repo.count_donors(
        campaign.id,
        [donor_key(foundation_id, id_, data) for id_, (data, _) in zip(ids, gifts, strict=True)],
    )

    ledger_repo = LedgerRepository(repo.session)
    stored: list[Donation] = []
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
                receipt=numbers[i],
                entry_id=entry.id,
                import_id=import_id,
                now=now,
            )
            for i, entry in zip(batch, entries, strict=True)
        ]
        await repo.insert_many(
            [{c.key: getattr(d, c.key) for c in Donation.__table__.columns} for d in donations]
        )
        await emit_many(repo.session, [_received(d) for d in donations])
        stored.extend(donations)
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
    receipt: str,
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
        receipt_number=receipt,
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
    repo: DonationRepository, campaign: Campaign, params: PageParams
) -> Sequence[Donation]:
    return await repo.list(campaign.id, params)


async def get(repo: DonationRepository, campaign: Campaign, donation_id: uuid.UUID) -> Donation:
    donation = await repo.get(campaign.id, donation_id)
    if donation is None:
        raise DonationNotFound(f"no donation {donation_id} in campaign {campaign.id}")
    return donation


async def refund(
    repo: DonationRepository, campaign: Campaign, donation_id: uuid.UUID, data: RefundCreate
) -> Refund:
    """Give back all or part of a donation: never more than is left of it (checked under
    the donation's row lock, so concurrent refunds cannot together exceed it), never once
    the campaign is settled, and never money the campaign has already spent (the ledger
    refuses to take its cash below zero: ``InsufficientFunds``, 409). The refund is a new
    ledger entry (the campaign's donation income debited, its cash credited); the donation
    itself only counts what was refunded."""
    donation = await get(repo, campaign, donation_id)
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
    # A share lock: the campaign cannot be settled while a refund of it is recorded.
    held = await get_held(CampaignRepository(repo.session), campaign.foundation_id, campaign.id)
    if held.status is CampaignStatus.SETTLED:
        raise CampaignSettled(
            f"campaign {campaign.id} is settled: its accounts are final and no refund of it "
            "can be recorded"
        )
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
        LedgerRepository(repo.session),
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
    refund = Refund(
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
    await repo.add_refund(refund)
    return refund


async def list_refunds(
    repo: DonationRepository, campaign: Campaign, donation_id: uuid.UUID, params: PageParams
) -> Sequence[Refund]:
    donation = await get(repo, campaign, donation_id)
    return await repo.refunds(donation.id, params)


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a receipt shows besides the donation and its campaign."""

    donation: Donation
    campaign: Campaign
    foundation_name: str | None
    entry_hash: str
    issued_at: dt.datetime


async def receipt(repo: DonationRepository, campaign: Campaign, donation_id: uuid.UUID) -> Receipt:
    donation = await get(repo, campaign, donation_id)
    return Receipt(
        donation=donation,
        campaign=campaign,
        foundation_name=await repo.foundation_name(campaign.foundation_id),
        entry_hash=await repo.entry_hash(donation.entry_id),
        issued_at=utcnow(),
    )


@dataclass(frozen=True, slots=True)
class ImportResult:
    record: DonationImport
    rows: list[ImportRowReport]


# The first few row problems are repeated in the problem document's ``errors``; ``rows``
# has them all.
_MAX_LISTED_ERRORS = 100


async def import_csv(
    repo: DonationRepository,
    campaign: Campaign,
    body: bytes,
    *,
    valid_only: bool,
    submitted_by: str,
) -> ImportResult:
    """Import a host platform's CSV export (format: :mod:`.imports`) into ``campaign``.

    Every row is checked first. A row whose (channel, transaction id) the foundation has
    already recorded, or that an earlier row of the file repeats, is a duplicate and is not
    stored again, so importing a file twice adds nothing. If any row is invalid and not
    ``valid_only``, nothing is stored (:class:`ImportHasInvalidRows`, with the report).
    Otherwise the new rows are recorded in file order exactly as single donations are
    (receipt number, donor tally, ledger entry, event: the same :func:`_store`), in
    batches, and the upload is kept as a :class:`DonationImport`. Holds the foundation's
    ledger lock until commit."""
    now = utcnow()
    campaigns.require_open(campaign, "donations are imported")
    parsed = imports.parse_rows(
        imports.decode(body), default_currency=campaign.currency, latest=now + CLOCK_SKEW
    )
    keys = [
        (channel_of(campaign, r.data), str(r.data.external_id))
        for r in parsed
        if r.data is not None
    ]
    recorded = await repo.recorded_transactions(campaign.foundation_id, keys)

    reports: list[ImportRowReport] = []
    first_row: dict[tuple[Channel, str], int] = {}  # key -> index of the row importing it
    repeats: dict[int, int] = {}  # index of a repeating row -> index of the first
    to_import: list[int] = []
    for index, row in enumerate(parsed):
        if row.data is None:
            reports.append(_report(row.line, ImportRowStatus.INVALID, row.errors))
            continue
        received = row.data.donated_at
        if campaign.ends_at is not None and received is not None and received >= campaign.ends_at:
            after = f"is after the campaign ended ({campaign.ends_at.isoformat()})"
            problem = FieldProblem(field="donated_at", message=after, code="after_end")
            reports.append(_report(row.line, ImportRowStatus.INVALID, [problem]))
            continue
        key = (channel_of(campaign, row.data), str(row.data.external_id))
        earlier = recorded.get(key)
        if earlier is not None:
            where = (
                "" if earlier.campaign_id == campaign.id else f" of campaign {earlier.campaign_id}"
            )
            message = (
                f"{key[0].value} transaction {key[1]!r} is already recorded as donation "
                f"{earlier.id}{where}"
            )
            reports.append(
                _report(row.line, ImportRowStatus.DUPLICATE, [_duplicate(message)], earlier.id)
            )
        elif key in first_row:
            repeats[index] = first_row[key]
            first_line = parsed[first_row[key]].line
            message = f"repeats line {first_line} ({key[0].value} transaction {key[1]!r})"
            reports.append(_report(row.line, ImportRowStatus.DUPLICATE, [_duplicate(message)]))
        else:
            first_row[key] = index
            to_import.append(index)
            reports.append(_report(row.line, ImportRowStatus.IMPORTED, []))

    invalid = sum(1 for r in reports if r.status is ImportRowStatus.INVALID)
    if invalid and not valid_only:
        listed = [
            FieldProblem(field=e.field, message=f"line {r.row}: {e.message}", code=e.code)
            for r in reports
            if r.status is ImportRowStatus.INVALID
            for e in r.errors
        ]
        for report in reports:
            if report.status is ImportRowStatus.IMPORTED:
                report.status = ImportRowStatus.VALID
        raise ImportHasInvalidRows(
            f"{invalid} of {len(parsed)} rows are not valid, so nothing was stored; correct "
            "them, or send valid_only=true to import the valid rows only (see rows)",
            rows=reports,
            errors=listed[:_MAX_LISTED_ERRORS],
        )

    upload = DonationImport(
        id=new_id(),
        campaign_id=campaign.id,
        foundation_id=campaign.foundation_id,
        file_sha256=hashlib.sha256(body).hexdigest(),
        valid_only=valid_only,
        rows=len(parsed),
        imported=len(to_import),
        duplicates=len(parsed) - len(to_import) - invalid,
        invalid=invalid,
        submitted_by=submitted_by,
        created_at=now,
    )
    await repo.add_import(upload)
    gifts = [_valid(parsed[i].data) for i in to_import]
    donations = await _store(
        repo,
        campaign,
        # Every row was checked against the clock when parsed, and has its time.
        [(data, data.donated_at or now) for data in gifts],
        now=now,
        import_id=upload.id,
    )
    for index, donation in zip(to_import, donations, strict=True):
        reports[index].donation_id = donation.id
    for index, first in repeats.items():
        reports[index].donation_id = reports[first].donation_id
    return ImportResult(upload, reports)


async def list_imports(
    repo: DonationRepository, campaign: Campaign, params: PageParams
) -> Sequence[DonationImport]:
    return await repo.imports(campaign.id, params)


def _valid(data: DonationCreate | None) -> DonationCreate:
    assert data is not None, "only valid rows are imported"
    return data


def _report(
    line: int,
    status: ImportRowStatus,
    errors: list[FieldProblem],
    donation_id: uuid.UUID | None = None,
) -> ImportRowReport:
    return ImportRowReport(row=line, status=status, errors=errors, donation_id=donation_id)


def _duplicate(message: str) -> FieldProblem:
    return FieldProblem(field="transaction_id", message=message, code="duplicate")


__all__ = [
    "Channel",
    "get",
    "import_csv",
    "list_imports",
    "list_page",
    "list_refunds",
    "receipt",
    "record",
    "refund",
]
