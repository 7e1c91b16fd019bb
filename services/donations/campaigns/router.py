from __future__ import annotations

import hashlib
import uuid
from typing import Annotated

import orjson
from fastapi import APIRouter, Depends, Header, Query
from starlette.responses import Response

from kit import etags
from kit.app import SessionDep
from kit.errors import (
    Forbidden,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    Unprocessable,
    problem_responses,
)
from kit.idempotency import IdempotencyDep
from kit.identity import CurrentPrincipal, Scope, require_scope
from kit.money import MoneyOut
from kit.pagination import Page, PageParamsDep, cut_page
from services.donations.campaigns import service
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
from services.donations.campaigns.repository import CampaignRepository, Totals
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


async def campaign_repository(session: SessionDep) -> CampaignRepository:
    return CampaignRepository(session)


CampaignRepositoryDep = Annotated[CampaignRepository, Depends(campaign_repository)]


async def valid_campaign(
    campaign_id: uuid.UUID, repo: CampaignRepositoryDep, principal: CurrentPrincipal
) -> Campaign:
    """The path's campaign, if it belongs to the caller's foundation; else 404."""
    return await service.get(repo, principal.organisation_id, campaign_id)


ValidCampaign = Annotated[Campaign, Depends(valid_campaign)]


async def held_campaign(
    campaign_id: uuid.UUID, repo: CampaignRepositoryDep, principal: CurrentPrincipal
) -> Campaign:
    """As :func:`valid_campaign`, share-locked until commit: for writes that rely on the
    campaign's state (a donation, a spend), so that a concurrent close or settle waits for
    them instead of slipping in between their check and their write."""
    return await service.get_held(repo, principal.organisation_id, campaign_id)


HeldCampaign = Annotated[Campaign, Depends(held_campaign)]


async def locked_campaign(
    campaign_id: uuid.UUID, repo: CampaignRepositoryDep, principal: CurrentPrincipal
) -> Campaign:
    """As :func:`valid_campaign`, locked exclusively until commit: for changing it."""
    return await service.get_locked(repo, principal.organisation_id, campaign_id)


LockedCampaign = Annotated[Campaign, Depends(locked_campaign)]

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='the ETag of the campaign as read (or its `version` in quotes, e.g. `"3"`)',
    ),
]
IfNoneMatch = Annotated[
    str | None, Header(alias="If-None-Match", description="ETags the client already holds")
]


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


def check_if_match(campaign: Campaign, header: str | None, *, required: bool) -> None:
    """Refuse a change based on another version than the campaign's: 412, or 428 if the
    client named none and ``required``. ``*`` matches any version, as RFC 9110 says."""
    if header is None:
        if required:
            raise CampaignIfMatchRequired(
                "send If-Match with the ETag of your last read of the campaign, so that "
                "a change made since is not overwritten unseen"
            )
        return
    tags = etags.if_match_tags(header)
    if isinstance(tags, etags.AnyTag):
        return
    version = str(campaign.version)
    if not any(not tag.weak and tag.opaque.split("-", 1)[0] == version for tag in tags):
        raise CampaignChanged(
            f"If-Match {header} does not name the campaign's version {version}; read it "
            "again and reapply your change"
        )


ETAG_HEADER = {"ETag": {"description": ETAG_DESCRIPTION, "schema": {"type": "string"}}}


@router.post(
    "",
    status_code=201,
    response_model=CampaignRead,
    summary="Create a campaign",
    description="Opens at once unless `status` is `draft` (the default `open` keeps clients "
    "that predate drafts working). `follows_id` makes it the next phase of an earlier "
    "campaign of the foundation; a campaign has at most one next phase (409 otherwise). "
    "Send an `Idempotency-Key` so that a retry never creates it twice.",
    dependencies=[require_scope(Scope.CAMPAIGNS_WRITE)],
    responses={
        201: {"headers": ETAG_HEADER},
        **problem_responses(
            Forbidden,
            CampaignAlreadyFollowed,
            IdempotencyInProgress,
            Unprocessable,
            InvalidCampaignPeriod,
            UnknownFollowedCampaign,
            InvalidCoOrganiser,
            IdempotencyKeyReused,
        ),
    },
)
async def create_campaign(
    data: CampaignCreate,
    repo: CampaignRepositoryDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
) -> Response:
    foundation_id = principal.organisation_id
    replay = await idempotency.claim(repo.session, foundation_id, data)
    if replay is not None:
        return with_etag(replay)
    campaign = await service.create(repo, foundation_id, data)
    return with_etag(
        await idempotency.respond(
            repo.session,
            201,
            campaign_read(campaign, Totals()),
            location=f"/api/v1/campaigns/{campaign.id}",
        )
    )


@router.get(
    "",
    response_model=Page[CampaignRead],
    summary="List the foundation's campaigns, newest first",
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses=problem_responses(Forbidden, Unprocessable),
)
async def list_campaigns(
    repo: CampaignRepositoryDep,
    principal: CurrentPrincipal,
    params: PageParamsDep,
    status: Annotated[
        CampaignStatus | None, Query(description="only campaigns in this state")
    ] = None,
) -> Page[CampaignRead]:
    rows = await service.list_page(repo, principal.organisation_id, params, status=status)
    campaigns, next_cursor = cut_page(rows, params, lambda c: c.id)
    totals = await service.totals(repo, campaigns)
    return Page(
        items=[campaign_read(c, totals.get(c.id, Totals())) for c in campaigns],
        next_cursor=next_cursor,
    )


@router.get(
    "/{campaign_id}",
    response_model=CampaignRead,
    summary="Read a campaign with its raised total and donation count",
    description="Answers with an `ETag`; send it back in `If-None-Match` to get 304 Not "
    "Modified while nothing the read shows has changed.",
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses={
        200: {"headers": ETAG_HEADER},
        304: {"description": "Not modified: the client's copy is current"},
        **problem_responses(Forbidden, CampaignNotFound),
    },
)
async def get_campaign(
    campaign: ValidCampaign, repo: CampaignRepositoryDep, if_none_match: IfNoneMatch = None
) -> Response:
    totals = await service.totals(repo, [campaign])
    read = campaign_read(campaign, totals.get(campaign.id, Totals()))
    tag = entity_tag(read)
    if not etags.none_match(if_none_match, tag):
        return Response(status_code=304, headers={"ETag": str(tag)})
    return campaign_response(read)


@router.patch(
    "/{campaign_id}",
    response_model=CampaignRead,
    summary="Change a campaign",
    description="Send only the fields to change. `If-Match` is required (428 without it, "
    "412 if the campaign changed since that read). The goal changes only while the "
    "campaign is a draft; a settled campaign changes no more. The state changes by "
    "`POST /api/v1/campaigns/{id}/transitions`, not here.",
    dependencies=[require_scope(Scope.CAMPAIGNS_WRITE)],
    responses={
        200: {"headers": ETAG_HEADER},
        **problem_responses(
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
    data: CampaignUpdate,
    campaign: LockedCampaign,
    repo: CampaignRepositoryDep,
    if_match: IfMatch = None,
) -> Response:
    check_if_match(campaign, if_match, required=True)
    campaign = await service.update(repo, campaign, data)
    totals = await service.totals(repo, [campaign])
    return campaign_response(campaign_read(campaign, totals.get(campaign.id, Totals())))


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
    dependencies=[require_scope(Scope.CAMPAIGNS_WRITE)],
    responses={
        200: {"headers": ETAG_HEADER},
        **problem_responses(
            Forbidden,
            CampaignNotFound,
            TransitionNotAllowed,
            CampaignHoldsMoney,
            CampaignHoldsGoods,
            IdempotencyInProgress,
            CampaignChanged,
            etags.MalformedIfMatch,
            Unprocessable,
            IdempotencyKeyReused,
        ),
    },
)
async def transition_campaign(
    data: Transition,
    campaign: LockedCampaign,
    repo: CampaignRepositoryDep,
    idempotency: IdempotencyDep,
    if_match: IfMatch = None,
) -> Response:
    # The campaign is the caller's (else 404 already), so its foundation is the caller's.
    replay = await idempotency.claim(repo.session, campaign.foundation_id, data)
    if replay is not None:
        return with_etag(replay)
    check_if_match(campaign, if_match, required=False)
    campaign = await service.transition(repo, campaign, data.to)
    totals = await service.totals(repo, [campaign])
    return with_etag(
        await idempotency.respond(
            repo.session, 200, campaign_read(campaign, totals.get(campaign.id, Totals()))
        )
    )
