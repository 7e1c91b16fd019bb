"""Import rules: a host platform's CSV export recorded as donations. Never commits: the
request's session does."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import utcnow
from kit.errors import FieldProblem
from kit.ids import new_id
from kit.pagination import PageParams
from services.donations.campaigns import service as campaigns
from services.donations.campaigns.models import Campaign
from services.donations.dates import CLOCK_SKEW
from services.donations.donations import service as donations
from services.donations.donations.models import Channel
from services.donations.donations.repository import DonationRepository
from services.donations.donations.schemas import DonationCreate
from services.donations.imports import parsing
from services.donations.imports.exceptions import ImportHasInvalidRows
from services.donations.imports.models import DonationImport
from services.donations.imports.repository import ImportRepository
from services.donations.imports.schemas import ImportRowReport, ImportRowStatus


@dataclass(frozen=True, slots=True)
class ImportResult:
    record: DonationImport
    rows: list[ImportRowReport]


# The first few row problems are repeated in the problem document's ``errors``; ``rows``
# has them all.
_MAX_LISTED_ERRORS = 100


async def import_csv(
    session: AsyncSession,
    campaign: Campaign,
    body: bytes,
    *,
    valid_only: bool,
    submitted_by: str,
) -> ImportResult:
    """Import a host platform's CSV export (format: :mod:`.parsing`) into ``campaign``,
    which the request holds against a concurrent close.

    Every row is checked first. A row whose (channel, transaction id) the foundation has
    already recorded, or that an earlier row of the file repeats, is a duplicate and is not
    stored again, so importing a file twice adds nothing. If any row is invalid and not
    ``valid_only``, nothing is stored (:class:`ImportHasInvalidRows`, with the report).
    Otherwise the new rows are recorded in file order exactly as single donations are
    (receipt number, donor tally, ledger entry, event: the same
    :func:`services.donations.donations.service.store`), in
    batches, and the upload is kept as a :class:`DonationImport`. Holds the foundation's
    ledger lock until commit."""
    now = utcnow()
    campaigns.require_open(campaign, "donations are imported")
    parsed = parsing.parse_rows(
        parsing.decode(body), default_currency=campaign.currency, latest=now + CLOCK_SKEW
    )
    keys = [
        (donations.channel_of(campaign, r.data), str(r.data.external_id))
        for r in parsed
        if r.data is not None
    ]
    recorded = await DonationRepository(session).recorded_transactions(campaign.foundation_id, keys)

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
        key = (donations.channel_of(campaign, row.data), str(row.data.external_id))
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
    await ImportRepository(session).add(upload)
    gifts = [_valid(parsed[i].data) for i in to_import]
    stored = await donations.store(
        session,
        campaign,
        # Every row was checked against the clock when parsed, and has its time.
        [(data, data.donated_at or now) for data in gifts],
        now=now,
        import_id=upload.id,
    )
    for index, donation in zip(to_import, stored, strict=True):
        reports[index].donation_id = donation.id
    for index, first in repeats.items():
        reports[index].donation_id = reports[first].donation_id
    return ImportResult(upload, reports)


async def list_page(
    session: AsyncSession, campaign: Campaign, params: PageParams
) -> Sequence[DonationImport]:
    return await ImportRepository(session).of_campaign(campaign.id, params)


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
