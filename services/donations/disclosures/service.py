"""Disclosures (信息公开) under the Charity Law, and their calendar. Never commits.

The rules (the Charity Law's, see ``docs/architecture.md``): a campaign that runs over six
months discloses at least every three months, and every campaign discloses the whole of it
within three months after it ends. Here:

- a campaign's *end* is ``ends_at``, or ``closed_at`` if it was closed earlier; an open
  campaign without ``ends_at`` is ongoing and has no end yet;
- if the period from ``starts_at`` to the end (or, for an ongoing campaign, to the
  calendar's horizon) exceeds six months, a *periodic* disclosure is due at
  ``starts_at`` + 3, 6, 9, ... months, for each such date before the end; it covers the
  three months before its due date;
- a *final* disclosure is due three months after the end, covering the whole campaign;
- an item is done once a disclosure covering its period end (or a later one) is
  published: for a periodic item, a periodic or final disclosure; for the final item, a
  final one.

Publishing freezes the report as it stands, with the SHA-256 of its canonical JSON and
the ledger head it includes. Nothing is ever edited: a correction is a new disclosure
naming the one it corrects.
"""

from __future__ import annotations

import calendar
import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.donations import DisclosurePublishedV1
from kit.db import utcnow
from kit.errors import FieldProblem
from kit.events import emit, new_event
from kit.ids import new_id
from kit.pagination import PageParams
from services.donations.campaigns.exceptions import CampaignNotFound
from services.donations.campaigns.models import Campaign, CampaignStatus
from services.donations.dates import CLOCK_SKEW
from services.donations.disclosures.exceptions import (
    CampaignIsDraft,
    CampaignNotEnded,
    DisclosureAlreadyPublished,
    DisclosureNotFound,
    InvalidDisclosure,
)
from services.donations.disclosures.models import Disclosure, DisclosureKind
from services.donations.disclosures.repository import DisclosureRepository
from services.donations.disclosures.schemas import DisclosureCreate
from services.donations.log.signing import HeadSigner
from services.donations.reports import service as reports

PERIOD_MONTHS = 3  # at least every three months...
LONG_CAMPAIGN_MONTHS = 6  # ...for campaigns that run over six months
FINAL_WITHIN_MONTHS = 3  # and the whole of it within three months after the end
DEFAULT_HORIZON = dt.timedelta(days=30)
MAX_HORIZON = dt.timedelta(days=366 * 10)
_NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)


def add_months(when: dt.datetime, months: int) -> dt.datetime:
    """``when`` moved by whole calendar months; the day is clamped to the month's last
    (31 January + 1 month = 28 or 29 February). Past year 9999: never."""
    years, month0 = divmod(when.month - 1 + months, 12)
    year = when.year + years
    if year > dt.MAXYEAR:
        return _NEVER
    month = month0 + 1
    return when.replace(
        year=year, month=month, day=min(when.day, calendar.monthrange(year, month)[1])
    )


def campaign_end(campaign: Campaign) -> dt.datetime | None:
    """When the campaign ends (or ended): ``ends_at``, or ``closed_at`` if earlier; None
    while it is open without an end."""
    ends = [t for t in (campaign.ends_at, campaign.closed_at) if t is not None]
    return min(ends) if ends else None


@dataclass(frozen=True, slots=True)
class DueItem:
    campaign: Campaign
    kind: DisclosureKind
    period_start: dt.datetime
    period_end: dt.datetime
    due_at: dt.datetime
    overdue: bool


def due_items(
    campaign: Campaign,
    published: Sequence[tuple[DisclosureKind, dt.datetime]],
    *,
    now: dt.datetime,
    due_before: dt.datetime,
) -> list[DueItem]:
    """The campaign's disclosures due before ``due_before`` and not yet published (see
    the module's docstring for the rules)."""
    start = campaign.starts_at
    end = campaign_end(campaign)
    # An ongoing campaign is taken to run at least until the horizon asked about.
    runs_to = end if end is not None else max(now, due_before)
    items: list[DueItem] = []
    if runs_to > add_months(start, LONG_CAMPAIGN_MONTHS):
        k = 1
        while (due := add_months(start, PERIOD_MONTHS * k)) < min(runs_to, due_before):
            covered = any(period_end >= due for _, period_end in published)
            if not covered:
                period_start = add_months(start, PERIOD_MONTHS * (k - 1))
                items.append(
                    DueItem(campaign, DisclosureKind.PERIODIC, period_start, due, due, due < now)
                )
            k += 1
    if end is not None:
        due = add_months(end, FINAL_WITHIN_MONTHS)
        covered = any(
            kind is DisclosureKind.FINAL and period_end >= end for kind, period_end in published
        )
        if due < due_before and not covered:
            items.append(DueItem(campaign, DisclosureKind.FINAL, start, end, due, due < now))
    return items


async def calendar_items(
    session: AsyncSession,
    foundation_id: uuid.UUID,
    *,
    due_before: dt.datetime | None,
    campaign_id: uuid.UUID | None,
) -> tuple[dt.datetime, list[DueItem]]:
    """The foundation's due and overdue disclosures, earliest first, with the horizon
    used (``due_before`` defaults to 30 days from now; at most ten years ahead)."""
    repo = DisclosureRepository(session)
    now = utcnow()
    horizon = due_before or now + DEFAULT_HORIZON
    if horizon > now + MAX_HORIZON:
        raise InvalidDisclosure(
            "due_before may be at most ten years ahead",
            errors=[FieldProblem(field="due_before", message="too far ahead", code="range")],
        )
    if campaign_id is not None and await repo.campaign(foundation_id, campaign_id) is None:
        raise CampaignNotFound(f"no campaign {campaign_id}")
    campaigns = await repo.campaigns(foundation_id, campaign_id)
    periods = await repo.periods([c.id for c in campaigns])
    items = [
        item
        for c in campaigns
        for item in due_items(c, periods.get(c.id, []), now=now, due_before=horizon)
    ]
    items.sort(key=lambda i: (i.due_at, i.campaign.title, str(i.campaign.id)))
    return horizon, items


async def publish(
    session: AsyncSession,
    campaign: Campaign,
    data: DisclosureCreate,
    *,
    published_by: str,
    signer: HeadSigner,
) -> Disclosure:
    """Publish a disclosure of the caller's ``campaign``: freeze its report, hash it, and
    emit ``donations.disclosure.published`` in the same transaction. The report stands
    against a transparency-log head that holds every entry it counts (signed with
    ``signer`` if the log had to take them in first)."""
    if campaign.status is CampaignStatus.DRAFT:
        raise CampaignIsDraft(f"campaign {campaign.id} is a draft; open it first")
    repo = DisclosureRepository(session)
    now = utcnow()
    end = campaign_end(campaign)

    corrected: Disclosure | None = None
    if data.corrects_id is not None:
        corrected = await repo.get(data.corrects_id)
        if corrected is None or corrected.campaign_id != campaign.id:
            raise InvalidDisclosure(
                f"no disclosure {data.corrects_id} of campaign {campaign.id} to correct",
                errors=[
                    FieldProblem(
                        field="corrects_id",
                        message="is not a disclosure of this campaign",
                        code="unknown",
                    )
                ],
            )
        if data.kind is not None and data.kind is not corrected.kind:
            raise InvalidDisclosure(
                f"a correction of a {corrected.kind.value} disclosure is {corrected.kind.value}",
                errors=[
                    FieldProblem(
                        field="kind", message="differs from the corrected one's", code="kind"
                    )
                ],
            )
        kind = corrected.kind
    elif data.kind is None:
        raise InvalidDisclosure(
            errors=[
                FieldProblem(
                    field="kind", message="is required unless corrects_id is given", code="missing"
                )
            ]
        )
    else:
        kind = data.kind

    if kind is DisclosureKind.FINAL and (end is None or end > now):
        raise CampaignNotEnded(
            f"campaign {campaign.id} "
            + (f"ends at {end.isoformat()}" if end else "is open without an end")
            + "; a final disclosure can only be published once it has ended or been closed"
        )
    period_end = _period_end(data, kind, corrected, end, now)
    _check_period_end(campaign, kind, period_end, end, now, given=data.period_end is not None)

    published = (await repo.periods([campaign.id])).get(campaign.id, [])
    if corrected is not None:
        period_start = corrected.period_start
    else:
        earlier = await repo.published(
            campaign.id, kind, None if kind is DisclosureKind.FINAL else period_end
        )
        if earlier is not None:
            raise DisclosureAlreadyPublished(
                f"disclosure {earlier.id} already discloses this {kind.value} period; to change "
                "it, publish a correction with corrects_id"
            )
        before = [p for _, p in published if p < period_end]
        period_start = (
            max(before) if kind is DisclosureKind.PERIODIC and before else campaign.starts_at
        )

    report = await reports.build(session, campaign, freeze_log=signer)
    document = report.model_dump(mode="json")
    disclosure = Disclosure(
        id=new_id(),
        foundation_id=campaign.foundation_id,
        campaign_id=campaign.id,
        kind=kind,
        period_start=period_start,
        period_end=period_end,
        corrects_id=corrected.id if corrected else None,
        note=data.note,
        published_at=now,
        published_by=published_by,
        report=document,
        report_sha256=reports.sha256_of(document),
        ledger_seq=report.ledger.seq,
        ledger_head_hash=report.ledger.hash,
    )
    await repo.add(disclosure)
    await emit(
        session,
        new_event(
            DisclosurePublishedV1(
                disclosure_id=disclosure.id,
                campaign_id=campaign.id,
                kind=kind.value,
                period_start=period_start,
                period_end=period_end,
                corrects_id=disclosure.corrects_id,
                report_sha256=disclosure.report_sha256,
                ledger_head_hash=disclosure.ledger_head_hash,
                published_at=now,
            ),
            producer="donations",
            foundation_id=campaign.foundation_id,
        ),
    )
    return disclosure


def _period_end(
    data: DisclosureCreate,
    kind: DisclosureKind,
    corrected: Disclosure | None,
    end: dt.datetime | None,
    now: dt.datetime,
) -> dt.datetime:
    if data.period_end is not None:
        return data.period_end
    if corrected is not None:
        return corrected.period_end
    if kind is DisclosureKind.FINAL and end is not None:
        return end
    return now


def _check_period_end(
    campaign: Campaign,
    kind: DisclosureKind,
    period_end: dt.datetime,
    end: dt.datetime | None,
    now: dt.datetime,
    *,
    given: bool,
) -> None:
    problem = None
    if period_end > now + CLOCK_SKEW:
        problem = "is in the future: a disclosure tells what has happened"
    elif period_end <= campaign.starts_at:
        problem = f"must be after the campaign's start ({campaign.starts_at.isoformat()})"
    elif kind is DisclosureKind.FINAL and end is not None and period_end < end:
        problem = f"of a final disclosure must not be before the campaign's end ({end.isoformat()})"
    if problem is not None:
        raise InvalidDisclosure(
            f"period_end {problem}" + ("" if given else " (period_end was defaulted)"),
            errors=[FieldProblem(field="period_end", message=problem, code="period")],
        )


async def get(session: AsyncSession, disclosure_id: uuid.UUID) -> Disclosure:
    disclosure = await DisclosureRepository(session).get(disclosure_id)
    if disclosure is None:
        raise DisclosureNotFound(f"no disclosure {disclosure_id}")
    return disclosure


async def list_page(
    session: AsyncSession, campaign: Campaign, params: PageParams
) -> Sequence[Disclosure]:
    return await DisclosureRepository(session).for_campaign(campaign.id, params)


async def corrected_by(
    session: AsyncSession, disclosures: Sequence[Disclosure]
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """The ids of the disclosures that correct each of ``disclosures``, oldest first."""
    return await DisclosureRepository(session).corrected_by([d.id for d in disclosures])
