from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from kit.db import SessionDep
from kit.errors import Forbidden, Unprocessable, problem_responses
from kit.idempotency import Created, IdempotentCreateDep
from kit.money import MoneyOut
from kit.pagination import Page, PageParamsDep
from services.partners.crowdfundings import service
from services.partners.crowdfundings.auth import CrowdfundingsRead, CrowdfundingsWrite
from services.partners.crowdfundings.dependencies import ValidCrowdfunding
from services.partners.crowdfundings.exceptions import CrowdfundingNotFound, CurrencyMismatch
from services.partners.crowdfundings.models import ChecklistItem, CrowdfundingReport
from services.partners.crowdfundings.schemas import (
    CheckRead,
    CheckUpdate,
    CrowdfundingCreate,
    CrowdfundingRead,
    ReportCreate,
    ReportRead,
)
from services.partners.organisations.exceptions import UnknownPartner

router = APIRouter(prefix="/api/v1/crowdfundings", tags=["crowdfundings"])


def crowdfunding_read(found: service.CrowdfundingView) -> CrowdfundingRead:
    c = found.crowdfunding
    return CrowdfundingRead(
        id=c.id,
        foundation_id=c.foundation_id,
        group_name=c.group_name,
        partner_id=c.partner_id,
        purpose=c.purpose,
        plan=c.plan,
        goal=MoneyOut.from_minor(c.goal_minor, c.currency),
        starts_on=c.starts_on,
        ends_on=c.ends_on,
        use_report_due_on=c.use_report_due_on,
        raised=MoneyOut.from_minor(found.raised_minor, c.currency),
        used=MoneyOut.from_minor(found.used_minor, c.currency),
        use_reported=found.use_reported,
        late=found.late,
        checklist=[
            CheckRead(
                item=item,
                done=item in found.checks,
                done_at=found.checks[item].done_at if item in found.checks else None,
                note=found.checks[item].note if item in found.checks else "",
            )
            for item in ChecklistItem
        ],
        created_at=c.created_at,
    )


@router.post(
    "",
    status_code=201,
    response_model=CrowdfundingRead,
    summary="Record a group's self-organised crowdfunding and its plan",
    responses=problem_responses(Forbidden, UnknownPartner),
)
async def create_crowdfunding(
    principal: CrowdfundingsWrite,
    data: CrowdfundingCreate,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def add() -> Created:
        found = await service.create(session, principal.organisation_id, data)
        read = crowdfunding_read(await service.view(session, found))
        return Created(read, location=f"/api/v1/crowdfundings/{found.id}")

    return await create(data, add)


@router.get(
    "",
    response_model=Page[CrowdfundingRead],
    summary="List the crowdfundings the foundation guides, newest first",
    description="`late=true`: only the groups late to report the use of funds (past "
    "`use_report_due_on` without a use report since the crowdfunding ended).",
    responses=problem_responses(Forbidden, Unprocessable),
)
async def list_crowdfundings(
    principal: CrowdfundingsRead,
    session: SessionDep,
    params: PageParamsDep,
    late: Annotated[bool, Query(description="only those late to report")] = False,
) -> Page[CrowdfundingRead]:
    views = await service.list_page(session, principal.organisation_id, params, late=late)
    return params.page(views, crowdfunding_read, key=lambda v: v.crowdfunding.id)


@router.get(
    "/{crowdfunding_id}",
    response_model=CrowdfundingRead,
    summary="Read a crowdfunding: plan, amounts raised and used, checklist, lateness",
    responses=problem_responses(Forbidden, CrowdfundingNotFound),
)
async def get_crowdfunding(
    crowdfunding: ValidCrowdfunding, session: SessionDep
) -> CrowdfundingRead:
    return crowdfunding_read(await service.view(session, crowdfunding))


def report_read(entry: CrowdfundingReport) -> ReportRead:
    return ReportRead(
        id=entry.id,
        crowdfunding_id=entry.crowdfunding_id,
        kind=entry.kind,
        amount=MoneyOut.from_minor(entry.amount_minor, entry.currency),
        reported_on=entry.reported_on,
        note=entry.note,
        created_at=entry.created_at,
    )


@router.post(
    "/{crowdfunding_id}/reports",
    status_code=201,
    response_model=ReportRead,
    summary="Record an amount the group reports raised or used",
    responses=problem_responses(Forbidden, CrowdfundingNotFound, CurrencyMismatch),
)
async def add_report(
    *,
    principal: CrowdfundingsWrite,
    data: ReportCreate,
    crowdfunding: ValidCrowdfunding,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def add() -> Created:
        return Created(report_read(await service.report(session, crowdfunding, data)))

    return await create(data, add)


@router.get(
    "/{crowdfunding_id}/reports",
    response_model=Page[ReportRead],
    summary="List what the group reported, newest first",
    responses=problem_responses(Forbidden, CrowdfundingNotFound),
)
async def list_reports(
    crowdfunding: ValidCrowdfunding, session: SessionDep, params: PageParamsDep
) -> Page[ReportRead]:
    return params.page(await service.list_reports(session, crowdfunding, params), report_read)


@router.put(
    "/{crowdfunding_id}/checklist/{item}",
    response_model=CrowdfundingRead,
    summary="Tick (or untick) an item of the transparency checklist",
    responses=problem_responses(Forbidden, CrowdfundingNotFound),
)
async def set_check(
    *,
    principal: CrowdfundingsWrite,
    item: ChecklistItem,
    data: CheckUpdate,
    crowdfunding: ValidCrowdfunding,
    session: SessionDep,
) -> CrowdfundingRead:
    await service.check(session, crowdfunding, item, data)
    return crowdfunding_read(await service.view(session, crowdfunding))
