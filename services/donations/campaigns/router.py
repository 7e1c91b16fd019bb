from __future__ import annotations

import hashlib
from typing import Annotated

import orjson
from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import Response

from kit import etags
from kit.db import SessionDep
from kit.errors import BadRequest, Forbidden, Unprocessable, problem_responses
from kit.etags import IfMatchDep, IfNoneMatchDep
from kit.idempotency import Created, IdempotentCreateDep
from kit.money import MoneyOut
from kit.pagination import Page, PageParamsDep
from services.donations.campaigns import service
from services.donations.campaigns.auth import CampaignsRead, CampaignsWrite
from services.donations.campaigns.dependencies import LockedCampaign, ValidCampaign
from services.donations.campaigns.exceptions import (
    CampaignAlreadyFollowed,
    CampaignChanged,
    CampaignHoldsGoods,
    CampaignHoldsMoney,
    CampaignIfMatchRequired,
    CampaignNotFound,
    CampaignSettled,
    GoalFixed,
    HostFixed,
    InvalidCampaignPeriod,
    InvalidCoOrganiser,
    TransitionNotAllowed,
    UnknownFollowedCampaign,
)
from services.donations.campaigns.models import Campaign, CampaignStatus
from services.donations.campaigns.repository import Totals
from services.donations.campaigns.schemas import (
    CampaignCreate,
    CampaignRead,
    CampaignUpdate,
    CoOrganiserRead,
    HostRead,
    Transition,
)

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])

ETAG_DESCRIPTION = (
    'The campaign\'s entity tag: `"<version>-<digest>"`. The digest covers everything the '
    "read shows, figures included, so `If-None-Match` answers 304 only while nothing shown "
    "has changed. `If-Match` is compared by the version before the dash: donations that "
    "changed the figures since a read never make an edit of the campaign fail."
)


def money_list(amounts: dict[str, int]) -> list[MoneyOut]:
    return [MoneyOut.from_minor(minor, currency) for currency, minor in sorted(amounts.items())]


def campaign_read(campaign: Campaign, totals: Totals) -> CampaignRead:
    host = (
        HostRead(
            name=campaign.host_name,
            filing_number=campaign.host_filing_number or "",
            platform=campaign.host_platform,
        )
        if campaign.host_name is not None
        else None
    )
    return CampaignRead(
        id=campaign.id,
        foundation_id=campaign.foundation_id,
        title=campaign.title,
        purpose=campaign.purpose,
        status=campaign.status,
        phase=campaign.phase,
        follows_id=campaign.follows_id,
        host=host,
        co_organisers=[CoOrganiserRead.model_validate(o) for o in campaign.co_organisers],
        goal=MoneyOut.of(campaign.goal),
        raised=MoneyOut.from_minor(totals.raised.get(campaign.currency, 0), campaign.currency),
        raised_by_currency=money_list(totals.raised),
        held=money_list(totals.held),
        donation_count=totals.donation_count,
        unique_donors=totals.unique_donors,
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        opened_at=campaign.opened_at,
        closed_at=campaign.closed_at,
        settled_at=campaign.settled_at,
        created_at=campaign.created_at,
        version=campaign.version,
    )


def entity_tag(read: CampaignRead) -> etags.EntityTag:
    canonical = orjson.dumps(read.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)
    return etags.EntityTag(f"{read.version}-{hashlib.sha256(canonical).hexdigest()[:16]}")


def with_etag(response: Response) -> Response:
    """The ETag of the campaign a (possibly replayed) answer carries."""
    if 200 <= response.status_code < 300:
        response.headers["ETag"] = str(
            entity_tag(CampaignRead.model_validate_json(bytes(response.body)))
        )
    return response


def campaign_response(read: CampaignRead) -> Response:
    return with_etag(
        Response(orjson.dumps(read.model_dump(mode="json")), media_type="application/json")
    )


ETAG_HEADER = {"ETag": {"description": ETAG_DESCRIPTION, "schema": {"type": "string"}}}


async def campaign_with_totals(session: AsyncSession, campaign: Campaign) -> CampaignRead:
    totals = await service.totals(session, [campaign])
    return campaign_read(campaign, totals.get(campaign.id, Totals()))


@router.post(
    "",
    status_code=201,
    response_model=CampaignRead,
    summary="Create a campaign",
    description="Opens at once unless `status` is `draft` (the default `open` keeps clients "
    "that predate drafts working). `follows_id` makes it the next phase of an earlier "
    "campaign of the foundation; a campaign has at most one next phase (409 otherwise). "
    "Send an `Idempotency-Key` so that a retry never creates it twice.",
    responses={
        201: {"headers": ETAG_HEADER},
        **problem_responses(
            Forbidden,
            CampaignAlreadyFollowed,
            Unprocessable,
            InvalidCampaignPeriod,
            UnknownFollowedCampaign,
            InvalidCoOrganiser,
        ),
    },
)
async def create_campaign(
    principal: CampaignsWrite,
    data: CampaignCreate,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def open_campaign() -> Created:
        campaign = await service.create(session, principal.organisation_id, data)
        return Created(
            campaign_read(campaign, Totals()), location=f"/api/v1/campaigns/{campaign.id}"
        )

    return with_etag(await create(data, open_campaign))


@router.get(
    "",
    response_model=Page[CampaignRead],
    summary="List the foundation's campaigns, newest first",
    responses=problem_responses(Forbidden, Unprocessable),
)
async def list_campaigns(
    principal: CampaignsRead,
    session: SessionDep,
    params: PageParamsDep,
    status: Annotated[
        CampaignStatus | None, Query(description="only campaigns in this state")
    ] = None,
) -> Page[CampaignRead]:
    rows = await service.list_page(session, principal.organisation_id, params, status=status)
    totals = await service.totals(session, rows)
    return params.page(rows, lambda c: campaign_read(c, totals.get(c.id, Totals())))


@router.get(
    "/{campaign_id}",
    response_model=CampaignRead,
    summary="Read a campaign with its raised total and donation count",
    description="Answers with an `ETag`; send it back in `If-None-Match` to get 304 Not "
    "Modified while nothing the read shows has changed.",
    responses={
        200: {"headers": ETAG_HEADER},
        304: {"description": "Not modified: the client's copy is current"},
        **problem_responses(Forbidden, CampaignNotFound),
    },
)
async def get_campaign(
    principal: CampaignsRead,
    campaign: ValidCampaign,
    session: SessionDep,
    preconditions: IfNoneMatchDep,
) -> Response:
    read = await campaign_with_totals(session, campaign)
    tag = entity_tag(read)
    if preconditions.unchanged(tag):
        return etags.not_modified(tag)
    return campaign_response(read)


@router.patch(
    "/{campaign_id}",
    response_model=CampaignRead,
    summary="Change a campaign",
    description="Send only the fields to change. `If-Match` is required (428 without it, "
    "412 if the campaign changed since that read, 400 if it is not a quoted entity tag). "
    "The goal changes only while the campaign is a draft; a settled campaign changes no "
    "more. The state changes by `POST /api/v1/campaigns/{id}/transitions`, not here.",
    responses={
        200: {"headers": ETAG_HEADER},
        **problem_responses(
            BadRequest,
            Forbidden,
            CampaignNotFound,
            GoalFixed,
            HostFixed,
            CampaignSettled,
            CampaignChanged,
            etags.MalformedIfMatch,
            Unprocessable,
            InvalidCampaignPeriod,
            InvalidCoOrganiser,
            CampaignIfMatchRequired,
        ),
    },
)
async def update_campaign(
    principal: CampaignsWrite,
    data: CampaignUpdate,
    campaign: LockedCampaign,
    session: SessionDep,
    preconditions: IfMatchDep,
) -> Response:
    preconditions.require_version(
        campaign.version, what="campaign", changed=CampaignChanged, missing=CampaignIfMatchRequired
    )
    campaign = await service.update(session, campaign, data)
    return campaign_response(await campaign_with_totals(session, campaign))


@router.post(
    "/{campaign_id}/transitions",
    response_model=CampaignRead,
    summary="Move a campaign to its next state",
    description="draft → open → closed → settled, one step at a time; any other move is 409 "
    "naming the current and the requested state. Opening, closing and settling record "
    "`opened_at`, `closed_at`, `settled_at`. Closing waits for donations in flight and "
    "none is recorded after it. Settling is refused (409) while the campaign holds money "
    "in any currency (`campaign-holds-money`) or goods (`campaign-holds-goods`, naming "
    "them; distribute them first). `If-Match` is optional here (412 if it names another "
    "version); an `Idempotency-Key` makes a retry answer as the first request did.",
    responses={
        200: {"headers": ETAG_HEADER},
        **problem_responses(
            BadRequest,
            Forbidden,
            CampaignNotFound,
            TransitionNotAllowed,
            CampaignHoldsMoney,
            CampaignHoldsGoods,
            CampaignChanged,
            etags.MalformedIfMatch,
            Unprocessable,
        ),
    },
)
async def transition_campaign(
    principal: CampaignsWrite,
    data: Transition,
    campaign: LockedCampaign,
    *,
    session: SessionDep,
    preconditions: IfMatchDep,
    create: IdempotentCreateDep,
) -> Response:
    async def move() -> Created:
        # Checked only for a first request: a replay answers as the first one did.
        preconditions.require_version(
            campaign.version, what="campaign", required=False, changed=CampaignChanged
        )
        moved = await service.transition(session, campaign, data.to)
        return Created(await campaign_with_totals(session, moved), status_code=200)

    return with_etag(await create(data, move))
