"""Crowdfunding guidance rules. Never commits: the request's session does.

A crowdfunding is late when today (UTC) is past its ``use_report_due_on`` and no use of
funds has been reported on or after its last day.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import utcnow
from kit.errors import FieldProblem
from kit.pagination import PageParams
from services.partners.crowdfundings.exceptions import CrowdfundingNotFound, CurrencyMismatch
from services.partners.crowdfundings.models import (
    USE_REPORT_DAYS,
    ChecklistItem,
    Crowdfunding,
    CrowdfundingCheck,
    CrowdfundingReport,
    ReportKind,
)
from services.partners.crowdfundings.repository import CrowdfundingRepository, ReportRepository
from services.partners.crowdfundings.schemas import CheckUpdate, CrowdfundingCreate, ReportCreate
from services.partners.organisations.service import require_partners


@dataclass(frozen=True, slots=True)
class CrowdfundingView:
    crowdfunding: Crowdfunding
    raised_minor: int
    used_minor: int
    use_reported: bool
    late: bool
    checks: dict[ChecklistItem, CrowdfundingCheck]


def today() -> dt.date:
    return utcnow().date()


async def create(
    session: AsyncSession, foundation_id: uuid.UUID, data: CrowdfundingCreate
) -> Crowdfunding:
    if data.partner_id is not None:
        await require_partners(session, foundation_id, [data.partner_id], field="partner_id")
    goal = data.goal.to_money()
    crowdfunding = Crowdfunding(
        foundation_id=foundation_id,
        group_name=data.group_name,
        partner_id=data.partner_id,
        purpose=data.purpose,
        plan=data.plan,
        goal_minor=goal.minor,
        currency=goal.currency,
        starts_on=data.starts_on,
        ends_on=data.ends_on,
        use_report_due_on=data.use_report_due_on
        or data.ends_on + dt.timedelta(days=USE_REPORT_DAYS),
        created_at=utcnow(),
    )
    return await CrowdfundingRepository(session).add(crowdfunding)


async def get(
    session: AsyncSession, foundation_id: uuid.UUID, crowdfunding_id: uuid.UUID
) -> Crowdfunding:
    found = await CrowdfundingRepository(session).of_foundation(foundation_id, crowdfunding_id)
    if found is None:
        raise CrowdfundingNotFound(f"no crowdfunding {crowdfunding_id}")
    return found


async def view(session: AsyncSession, crowdfunding: Crowdfunding) -> CrowdfundingView:
    repo = CrowdfundingRepository(session)
    totals = await repo.totals(crowdfunding.id)
    reported = await repo.use_reported(crowdfunding.id)
    return CrowdfundingView(
        crowdfunding=crowdfunding,
        raised_minor=totals.get(ReportKind.RAISED, 0),
        used_minor=totals.get(ReportKind.USED, 0),
        use_reported=reported,
        late=not reported and today() > crowdfunding.use_report_due_on,
        checks={check.item: check for check in await repo.checks(crowdfunding.id)},
    )


async def list_page(
    session: AsyncSession, foundation_id: uuid.UUID, params: PageParams, *, late: bool = False
) -> list[CrowdfundingView]:
    rows = await CrowdfundingRepository(session).list(
        foundation_id, params, late_on=today() if late else None
    )
    return [await view(session, row) for row in rows]


async def report(
    session: AsyncSession, crowdfunding: Crowdfunding, data: ReportCreate
) -> CrowdfundingReport:
    """Record an amount the group reports raised or used, in the crowdfunding's currency."""
    amount = data.amount.to_money()
    if amount.currency != crowdfunding.currency:
        raise CurrencyMismatch(
            f"the crowdfunding is in {crowdfunding.currency}, not {amount.currency}",
            errors=[
                FieldProblem(field="amount.currency", message="another currency", code="currency")
            ],
        )
    entry = CrowdfundingReport(
        crowdfunding_id=crowdfunding.id,
        kind=data.kind,
        amount_minor=amount.minor,
        currency=amount.currency,
        reported_on=data.reported_on,
        note=data.note,
        created_at=utcnow(),
    )
    return await ReportRepository(session).add(entry)


async def list_reports(
    session: AsyncSession, crowdfunding: Crowdfunding, params: PageParams
) -> Sequence[CrowdfundingReport]:
    return await ReportRepository(session).list(crowdfunding.id, params)


async def check(
    session: AsyncSession, crowdfunding: Crowdfunding, item: ChecklistItem, data: CheckUpdate
) -> None:
    await CrowdfundingRepository(session).set_check(
        crowdfunding.id, item, done_at=utcnow() if data.done else None, note=data.note
    )
