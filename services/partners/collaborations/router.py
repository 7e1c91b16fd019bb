from __future__ import annotations

import hashlib
import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from kit.db import SessionDep
from kit.errors import Forbidden, PreconditionRequired, Unprocessable, problem_responses
from kit.etags import EntityTag, IfMatchDep, IfNoneMatchDep, not_modified
from kit.idempotency import Created, IdempotentCreateDep
from kit.money import MoneyOut
from kit.pagination import Page, PageParamsDep
from services.partners.collaborations import service
from services.partners.collaborations.auth import (
    CollaborationsManage,
    CollaborationsRead,
    CollaborationsReport,
    acting_partner,
)
from services.partners.collaborations.dependencies import (
    LockedCollaboration,
    ReadableCollaboration,
    ReportableCollaboration,
)
from services.partners.collaborations.exceptions import (
    CollaborationChanged,
    CollaborationClosed,
    CollaborationNotActive,
    CollaborationNotFound,
    InvalidTransition,
    MilestoneNotFound,
    OutsidePeriod,
    WrongUnit,
)
from services.partners.collaborations.models import (
    CollaborationStatus,
    CollaborationUpdate,
    Milestone,
    OutcomeReport,
)
from services.partners.collaborations.schemas import (
    CollaborationCreate,
    CollaborationRead,
    CollaborationUpdateFields,
    FundingGrant,
    MilestoneCompletion,
    MilestoneCreate,
    MilestoneRead,
    OutcomeCreate,
    OutcomeRead,
    OutcomeTotal,
    StatusChange,
    UpdateCreate,
    UpdateRead,
)
from services.partners.grants.models import PartnerGrant
from services.partners.organisations.exceptions import UnknownPartner

router = APIRouter(prefix="/api/v1/collaborations", tags=["collaborations"])

WHAT = "collaboration"
ETAG = {
    "ETag": {
        "description": '`"<version>-<digest>"`; `If-Match` is compared by the version',
        "schema": {"type": "string"},
    }
}


def collaboration_read(found: service.CollaborationView) -> CollaborationRead:
    c = found.collaboration
    return CollaborationRead(
        id=c.id,
        foundation_id=c.foundation_id,
        title=c.title,
        area=c.area,
        goals=c.goals,
        starts_on=c.starts_on,
        ends_on=c.ends_on,
        status=c.status,
        partner_ids=found.partner_ids,
        milestones_total=found.milestones_total,
        milestones_completed=found.milestones_completed,
        outcomes=[OutcomeTotal(metric=m, unit=u, total=t) for m, u, t in found.outcomes],
        funding=[MoneyOut.from_minor(minor, currency) for currency, minor in found.funding],
        version=c.version,
        created_at=c.created_at,
        updated_at=c.updated_at,
    )


def entity_tag(read: CollaborationRead) -> EntityTag:
    digest = hashlib.sha256(read.model_dump_json().encode()).hexdigest()[:16]
    return EntityTag(f"{read.version}-{digest}")


def answer(read: CollaborationRead, status_code: int = 200) -> Response:
    return Response(
        read.model_dump_json(),
        status_code=status_code,
        media_type="application/json",
        headers={"ETag": str(entity_tag(read))},
    )


@router.post(
    "",
    status_code=201,
    response_model=CollaborationRead,
    summary="Propose a collaboration with one or more partner organisations",
    description="It starts `proposed`. `partner_ids` must be the foundation's current "
    "partners (422 naming the field). Send an `Idempotency-Key`.",
    responses=problem_responses(Forbidden, UnknownPartner),
)
async def create_collaboration(
    principal: CollaborationsManage,
    data: CollaborationCreate,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def add() -> Created:
        collaboration = await service.create(session, principal.organisation_id, data)
        read = collaboration_read(await service.view(session, collaboration))
        return Created(read, location=f"/api/v1/collaborations/{collaboration.id}")

    return await create(data, add)


@router.get(
    "",
    response_model=Page[CollaborationRead],
    summary="List collaborations, newest first",
    description="A partner organisation's key sees only those it is part of.",
    responses=problem_responses(Forbidden, Unprocessable),
)
async def list_collaborations(
    principal: CollaborationsRead,
    session: SessionDep,
    params: PageParamsDep,
    status: CollaborationStatus | None = None,
    partner_id: Annotated[
        uuid.UUID | None, Query(description="only those with this partner")
    ] = None,
) -> Page[CollaborationRead]:
    viewer = acting_partner(principal)
    if viewer is not None:
        if partner_id is not None and partner_id != viewer:
            return Page(items=[], next_cursor=None)
        partner_id = viewer
    views = await service.list_page(
        session,
        principal.organisation_id,
        params,
        partner_id=partner_id,
        status=status,
        viewer=viewer,
    )
    return params.page(views, collaboration_read, key=lambda v: v.collaboration.id)


@router.get(
    "/{collaboration_id}",
    response_model=CollaborationRead,
    summary="Read a collaboration: status, partners, milestones, outcomes and funding",
    description="Funding is the grants paid to its partners from its first day to its last "
    "(for a partner's key: those paid to it). `If-None-Match` gives 304.",
    responses={200: {"headers": ETAG}, **problem_responses(Forbidden, CollaborationNotFound)},
)
async def get_collaboration(
    principal: CollaborationsRead,
    collaboration: ReadableCollaboration,
    session: SessionDep,
    preconditions: IfNoneMatchDep,
) -> Response:
    read = collaboration_read(
        await service.view(session, collaboration, viewer=acting_partner(principal))
    )
    tag = entity_tag(read)
    if preconditions.unchanged(tag):
        return not_modified(tag)
    return answer(read)


@router.patch(
    "/{collaboration_id}",
    response_model=CollaborationRead,
    summary="Edit a collaboration",
    description="Send `If-Match` (428 without, 412 if it changed since your read). A new "
    "period must still hold every milestone (422).",
    responses={
        200: {"headers": ETAG},
        **problem_responses(
            Forbidden,
            CollaborationNotFound,
            CollaborationClosed,
            CollaborationChanged,
            PreconditionRequired,
            OutsidePeriod,
            UnknownPartner,
        ),
    },
)
async def update_collaboration(
    *,
    principal: CollaborationsManage,
    data: CollaborationUpdateFields,
    collaboration: LockedCollaboration,
    session: SessionDep,
    preconditions: IfMatchDep,
) -> Response:
    preconditions.require_version(collaboration.version, what=WHAT, changed=CollaborationChanged)
    await service.update(session, collaboration, data)
    return answer(collaboration_read(await service.view(session, collaboration)))


@router.post(
    "/{collaboration_id}/status",
    response_model=CollaborationRead,
    summary="Move a collaboration to another status",
    description="proposed → active or cancelled; active → completed or cancelled; nothing "
    "else (409 `invalid-transition`). Send `If-Match`.",
    responses={
        200: {"headers": ETAG},
        **problem_responses(
            Forbidden,
            CollaborationNotFound,
            InvalidTransition,
            CollaborationChanged,
            PreconditionRequired,
        ),
    },
)
async def change_status(
    *,
    principal: CollaborationsManage,
    data: StatusChange,
    collaboration: LockedCollaboration,
    session: SessionDep,
    preconditions: IfMatchDep,
) -> Response:
    preconditions.require_version(collaboration.version, what=WHAT, changed=CollaborationChanged)
    await service.change_status(session, collaboration, data.status)
    return answer(collaboration_read(await service.view(session, collaboration)))


def milestone_read(milestone: Milestone) -> MilestoneRead:
    return MilestoneRead.model_validate(milestone)


@router.post(
    "/{collaboration_id}/milestones",
    status_code=201,
    response_model=MilestoneRead,
    summary="Add a milestone",
    description="Its due date falls within the collaboration's period (422 `outside-period`).",
    responses=problem_responses(
        Forbidden, CollaborationNotFound, CollaborationClosed, OutsidePeriod
    ),
)
async def add_milestone(
    *,
    principal: CollaborationsManage,
    data: MilestoneCreate,
    collaboration: LockedCollaboration,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def add() -> Created:
        milestone = await service.add_milestone(session, collaboration, data)
        return Created(milestone_read(milestone))

    return await create(data, add)


@router.get(
    "/{collaboration_id}/milestones",
    response_model=Page[MilestoneRead],
    summary="List a collaboration's milestones, newest first",
    responses=problem_responses(Forbidden, CollaborationNotFound),
)
async def list_milestones(
    collaboration: ReadableCollaboration, session: SessionDep, params: PageParamsDep
) -> Page[MilestoneRead]:
    return params.page(
        await service.list_milestones(session, collaboration, params), milestone_read
    )


@router.post(
    "/{collaboration_id}/milestones/{milestone_id}/completion",
    response_model=MilestoneRead,
    summary="Complete a milestone",
    description="The foundation or a partner in the collaboration, while it is active. "
    "Completing a completed milestone changes nothing.",
    responses=problem_responses(
        Forbidden, CollaborationNotFound, MilestoneNotFound, CollaborationNotActive
    ),
)
async def complete_milestone(
    *,
    principal: CollaborationsReport,
    milestone_id: uuid.UUID,
    data: MilestoneCompletion,
    collaboration: ReportableCollaboration,
    session: SessionDep,
) -> MilestoneRead:
    milestone = await service.complete_milestone(
        session, collaboration, milestone_id, data, by=principal.subject
    )
    return milestone_read(milestone)


def outcome_read(report: OutcomeReport) -> OutcomeRead:
    return OutcomeRead.model_validate(report)


@router.post(
    "/{collaboration_id}/outcomes",
    status_code=201,
    response_model=OutcomeRead,
    summary="Report an outcome figure",
    description="The foundation or a partner in the collaboration, while it is active. The "
    "figure is in its metric's unit (422 `wrong-unit`) and dated within the period.",
    responses=problem_responses(
        Forbidden, CollaborationNotFound, CollaborationNotActive, WrongUnit, OutsidePeriod
    ),
)
async def report_outcome(
    *,
    principal: CollaborationsReport,
    data: OutcomeCreate,
    collaboration: ReportableCollaboration,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def add() -> Created:
        report = await service.report_outcome(
            session, collaboration, data, by=principal.subject, partner_id=acting_partner(principal)
        )
        return Created(outcome_read(report))

    return await create(data, add)


@router.get(
    "/{collaboration_id}/outcomes",
    response_model=Page[OutcomeRead],
    summary="List a collaboration's outcome reports, newest first",
    responses=problem_responses(Forbidden, CollaborationNotFound),
)
async def list_outcomes(
    collaboration: ReadableCollaboration, session: SessionDep, params: PageParamsDep
) -> Page[OutcomeRead]:
    return params.page(await service.list_outcomes(session, collaboration, params), outcome_read)


def update_read(entry: CollaborationUpdate) -> UpdateRead:
    return UpdateRead.model_validate(entry)


@router.post(
    "/{collaboration_id}/updates",
    status_code=201,
    response_model=UpdateRead,
    summary="Post an update to the collaboration's timeline",
    responses=problem_responses(Forbidden, CollaborationNotFound),
)
async def post_update(
    *,
    principal: CollaborationsReport,
    data: UpdateCreate,
    collaboration: ReportableCollaboration,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def add() -> Created:
        entry = await service.post_update(
            session, collaboration, data, by=principal.subject, partner_id=acting_partner(principal)
        )
        return Created(update_read(entry))

    return await create(data, add)


@router.get(
    "/{collaboration_id}/updates",
    response_model=Page[UpdateRead],
    summary="The collaboration's update timeline, newest first",
    responses=problem_responses(Forbidden, CollaborationNotFound),
)
async def list_updates(
    collaboration: ReadableCollaboration, session: SessionDep, params: PageParamsDep
) -> Page[UpdateRead]:
    return params.page(await service.list_updates(session, collaboration, params), update_read)


def funding_read(grant: PartnerGrant) -> FundingGrant:
    return FundingGrant(
        id=grant.id,
        partner_organisation_id=grant.partner_organisation_id,
        amount=MoneyOut.from_minor(grant.amount_minor, grant.currency),
        purpose=grant.purpose,
        paid_at=grant.paid_at,
    )


@router.get(
    "/{collaboration_id}/funding",
    response_model=Page[FundingGrant],
    summary="The grants that fund a collaboration, newest first",
    description="Grants paid (by the donations service, `donations.grant.paid`) to the "
    "collaboration's partners from its first day to its last, UTC. A partner's key sees "
    "those paid to it.",
    responses=problem_responses(Forbidden, CollaborationNotFound),
)
async def list_funding(
    principal: CollaborationsRead,
    collaboration: ReadableCollaboration,
    session: SessionDep,
    params: PageParamsDep,
) -> Page[FundingGrant]:
    rows = await service.list_funding(
        session, collaboration, params, viewer=acting_partner(principal)
    )
    return params.page(rows, funding_read)
