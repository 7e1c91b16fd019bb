"""Disclosures. Publishing and the calendar need a key; published disclosures are public
by nature, so reading them does not (``public_router``, mounted without the identity
requirement and allow-listed by the gateway)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from kit.db import SessionDep
from kit.errors import Forbidden, Unprocessable, problem_responses
from kit.idempotency import Created, IdempotentCreateDep
from kit.pagination import Page, PageParamsDep
from kit.schemas import Timestamp
from services.donations.campaigns.dependencies import LockedCampaign
from services.donations.campaigns.exceptions import CampaignNotFound
from services.donations.disclosures import service
from services.donations.disclosures.auth import DisclosuresRead, DisclosuresWrite
from services.donations.disclosures.exceptions import (
    CampaignIsDraft,
    CampaignNotEnded,
    DisclosureAlreadyPublished,
    DisclosureNotFound,
    InvalidDisclosure,
)
from services.donations.disclosures.models import Disclosure
from services.donations.disclosures.schemas import (
    CalendarItem,
    DisclosureCalendar,
    DisclosureCreate,
    DisclosureRead,
    DisclosureSummary,
)
from services.donations.log.dependencies import LogSignerDep
from services.donations.reports.dependencies import PublicCampaign

router = APIRouter(tags=["disclosures"])
public_router = APIRouter(tags=["disclosures"])


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
    responses=problem_responses(
        Forbidden,
        CampaignNotFound,
        CampaignIsDraft,
        CampaignNotEnded,
        DisclosureAlreadyPublished,
        InvalidDisclosure,
    ),
)
async def publish_disclosure(
    *,
    principal: DisclosuresWrite,
    data: DisclosureCreate,
    # Locked: the campaign's postings in flight finish first and new ones wait, so the
    # frozen log head holds every entry the disclosed figures count, and goods agree.
    campaign: LockedCampaign,
    session: SessionDep,
    signer: LogSignerDep,
    create: IdempotentCreateDep,
) -> Response:
    async def publish() -> Created:
        disclosure = await service.publish(
            session, campaign, data, published_by=principal.subject, signer=signer
        )
        return Created(
            disclosure_read(disclosure, []), location=f"/api/v1/disclosures/{disclosure.id}"
        )

    return await create(data, publish)


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
    responses=problem_responses(Forbidden, CampaignNotFound, InvalidDisclosure, Unprocessable),
)
async def disclosure_calendar(
    principal: DisclosuresRead,
    session: SessionDep,
    due_before: Annotated[
        Timestamp | None, Query(description="list items due before this time")
    ] = None,
    campaign_id: Annotated[uuid.UUID | None, Query(description="only this campaign")] = None,
) -> DisclosureCalendar:
    horizon, items = await service.calendar_items(
        session, principal.organisation_id, due_before=due_before, campaign_id=campaign_id
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
    campaign: PublicCampaign, session: SessionDep, params: PageParamsDep
) -> Page[DisclosureSummary]:
    rows = await service.list_page(session, campaign, params)
    corrections = await service.corrected_by(session, rows[: params.limit])
    return params.page(rows, lambda d: disclosure_summary(d, corrections.get(d.id, [])))


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
async def get_disclosure(disclosure_id: uuid.UUID, session: SessionDep) -> DisclosureRead:
    disclosure = await service.get(session, disclosure_id)
    corrections = await service.corrected_by(session, [disclosure])
    return disclosure_read(disclosure, corrections.get(disclosure.id, []))
