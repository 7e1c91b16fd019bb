"""Disclosures. Publishing and the calendar need a key; published disclosures are public
by nature, so reading them does not (``public_router``, mounted without the identity
requirement and allow-listed by the gateway)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from kit.db import SessionDep
from kit.errors import (
    Forbidden,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    Unprocessable,
    problem_responses,
)
from kit.idempotency import IdempotencyDep
from kit.identity import CurrentPrincipal, Scope, require_scope
from kit.pagination import Page, PageParamsDep, cut_page
from kit.schemas import Timestamp
from services.donations.campaigns.dependencies import ValidCampaign
from services.donations.campaigns.exceptions import CampaignNotFound
from services.donations.disclosures import service
from services.donations.disclosures.exceptions import (
    CampaignIsDraft,
    CampaignNotEnded,
    DisclosureAlreadyPublished,
    DisclosureNotFound,
    InvalidDisclosure,
)
from services.donations.disclosures.models import Disclosure
from services.donations.disclosures.repository import DisclosureRepository
from services.donations.disclosures.schemas import (
    CalendarItem,
    DisclosureCalendar,
    DisclosureCreate,
    DisclosureRead,
    DisclosureSummary,
)
from services.donations.reports.router import PublicCampaign

router = APIRouter(tags=["disclosures"])
public_router = APIRouter(tags=["disclosures"])


async def disclosure_repository(session: SessionDep) -> DisclosureRepository:
    return DisclosureRepository(session)


DisclosureRepositoryDep = Annotated[DisclosureRepository, Depends(disclosure_repository)]


def disclosure_summary(d: Disclosure, corrected_by: list[uuid.UUID]) -> DisclosureSummary:
    return DisclosureSummary(
        id=d.id,
        campaign_id=d.campaign_id,
        foundation_id=d.foundation_id,
        kind=d.kind,
        period_start=d.period_start,
        period_end=d.period_end,
        corrects_id=d.corrects_id,
        corrected_by=corrected_by,
        note=d.note,
        published_at=d.published_at,
        report_sha256=d.report_sha256,
        ledger_seq=d.ledger_seq,
        ledger_head_hash=d.ledger_head_hash,
    )


def disclosure_read(d: Disclosure, corrected_by: list[uuid.UUID]) -> DisclosureRead:
    return DisclosureRead(**disclosure_summary(d, corrected_by).model_dump(), report=d.report)


@router.post(
    "/api/v1/campaigns/{campaign_id}/disclosures",
    status_code=201,
    response_model=DisclosureRead,
    summary="Publish a disclosure: freeze the campaign's report with its hash",
    description=(
        "Stores the transparency report as it stands, the SHA-256 of its canonical JSON and "
        "the ledger head it includes, and announces it (`donations.disclosure.published`). "
        "A final disclosure only once the campaign has ended or was closed (409). Nothing is "
        "ever edited: to correct a disclosure, publish a new one with `corrects_id`; "
        "publishing the same period again without it is 409. Send an `Idempotency-Key`."
    ),
    dependencies=[require_scope(Scope.DISCLOSURES_WRITE)],
    responses=problem_responses(
        Forbidden,
        CampaignNotFound,
        CampaignIsDraft,
        CampaignNotEnded,
        DisclosureAlreadyPublished,
        IdempotencyInProgress,
        InvalidDisclosure,
        IdempotencyKeyReused,
    ),
)
async def publish_disclosure(
    data: DisclosureCreate,
    campaign: ValidCampaign,
    repo: DisclosureRepositoryDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
) -> Response:
    replay = await idempotency.claim(repo.session, principal.organisation_id, data)
    if replay is not None:
        return replay
    disclosure = await service.publish(repo, campaign, data, published_by=principal.subject)
    return await idempotency.respond(
        repo.session,
        201,
        disclosure_read(disclosure, []),
        location=f"/api/v1/disclosures/{disclosure.id}",
    )


@router.get(
    "/api/v1/disclosures",
    response_model=DisclosureCalendar,
    summary="The disclosure calendar: what is due or overdue and not yet published",
    description=(
        "Every campaign of the foundation that is out of draft, under the Charity Law: one "
        "that runs over six months discloses every three months from its start, and every "
        "campaign within three months after its end (`ends_at`, or `closed_at` if earlier). "
        "An open campaign without an end is taken to run at least until `due_before`. "
        "Lists the items due before `due_before` (default: 30 days from now, at most ten "
        "years ahead), earliest first; `overdue` ones are past their date."
    ),
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses=problem_responses(Forbidden, CampaignNotFound, InvalidDisclosure, Unprocessable),
)
async def disclosure_calendar(
    repo: DisclosureRepositoryDep,
    principal: CurrentPrincipal,
    due_before: Annotated[
        Timestamp | None, Query(description="list items due before this time")
    ] = None,
    campaign_id: Annotated[uuid.UUID | None, Query(description="only this campaign")] = None,
) -> DisclosureCalendar:
    horizon, items = await service.calendar_items(
        repo, principal.organisation_id, due_before=due_before, campaign_id=campaign_id
    )
    return DisclosureCalendar(
        due_before=horizon,
        items=[
            CalendarItem(
                campaign_id=i.campaign.id,
                campaign_title=i.campaign.title,
                kind=i.kind,
                period_start=i.period_start,
                period_end=i.period_end,
                due_at=i.due_at,
                overdue=i.overdue,
            )
            for i in items
        ],
    )


@public_router.get(
    "/api/v1/campaigns/{campaign_id}/disclosures",
    response_model=Page[DisclosureSummary],
    summary="A campaign's published disclosures, newest first (no key needed)",
    responses=problem_responses(CampaignNotFound, Unprocessable),
)
async def list_disclosures(
    campaign: PublicCampaign, repo: DisclosureRepositoryDep, params: PageParamsDep
) -> Page[DisclosureSummary]:
    rows = await service.list_page(repo, campaign, params)
    disclosures, next_cursor = cut_page(rows, params, lambda d: d.id)
    corrections = await service.corrected_by(repo, disclosures)
    return Page(
        items=[disclosure_summary(d, corrections.get(d.id, [])) for d in disclosures],
        next_cursor=next_cursor,
    )


@public_router.get(
    "/api/v1/disclosures/{disclosure_id}",
    response_model=DisclosureRead,
    summary="A published disclosure with its frozen report (no key needed)",
    description=(
        "`report_sha256` is the SHA-256 of `report` as canonical JSON (keys sorted, no "
        "spaces, UTF-8, non-ASCII unescaped): recompute it to check the snapshot."
    ),
    responses=problem_responses(DisclosureNotFound, Unprocessable),
)
async def get_disclosure(disclosure_id: uuid.UUID, repo: DisclosureRepositoryDep) -> DisclosureRead:
    disclosure = await service.get(repo, disclosure_id)
    corrections = await service.corrected_by(repo, [disclosure])
    return disclosure_read(disclosure, corrections.get(disclosure.id, []))
