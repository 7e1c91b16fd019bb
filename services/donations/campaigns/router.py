from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from kit.app import SessionDep
from kit.errors import Forbidden, Unprocessable, problem_responses
from kit.idempotency import IdempotencyDep
from kit.identity import CurrentPrincipal, Scope, require_scope
from kit.money import MoneyOut
from kit.pagination import Page, PageParamsDep, cut_page
from services.donations.campaigns import service
from services.donations.campaigns.exceptions import CampaignNotFound, InvalidCampaignPeriod
from services.donations.campaigns.models import Campaign
from services.donations.campaigns.repository import CampaignRepository, Totals
from services.donations.campaigns.schemas import CampaignCreate, CampaignRead

router = APIRouter(prefix="/api/v1/campaigns", tags=["campaigns"])


async def campaign_repository(session: SessionDep) -> CampaignRepository:
    return CampaignRepository(session)


CampaignRepositoryDep = Annotated[CampaignRepository, Depends(campaign_repository)]


async def valid_campaign(
    campaign_id: uuid.UUID, repo: CampaignRepositoryDep, principal: CurrentPrincipal
) -> Campaign:
    """The path's campaign, if it belongs to the caller's foundation; else 404."""
    return await service.get(repo, principal.organisation_id, campaign_id)


ValidCampaign = Annotated[Campaign, Depends(valid_campaign)]


def money_list(amounts: dict[str, int]) -> list[MoneyOut]:
    return [MoneyOut.from_minor(minor, currency) for currency, minor in sorted(amounts.items())]


def campaign_read(campaign: Campaign, totals: Totals) -> CampaignRead:
    return CampaignRead(
        id=campaign.id,
        foundation_id=campaign.foundation_id,
        title=campaign.title,
        purpose=campaign.purpose,
        status=campaign.status,
        goal=MoneyOut.of(campaign.goal),
        raised=MoneyOut.from_minor(totals.raised.get(campaign.currency, 0), campaign.currency),
        raised_by_currency=money_list(totals.raised),
        held=money_list(totals.held),
        donation_count=totals.donation_count,
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        created_at=campaign.created_at,
    )


@router.post(
    "",
    status_code=201,
    response_model=CampaignRead,
    summary="Create a campaign",
    dependencies=[require_scope(Scope.CAMPAIGNS_WRITE)],
    responses=problem_responses(Forbidden, Unprocessable, InvalidCampaignPeriod),
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
        return replay
    campaign = await service.create(repo, foundation_id, data)
    return await idempotency.respond(
        repo.session,
        201,
        campaign_read(campaign, Totals()),
        location=f"/api/v1/campaigns/{campaign.id}",
    )


@router.get(
    "",
    response_model=Page[CampaignRead],
    summary="List the foundation's campaigns, newest first",
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses=problem_responses(Forbidden, Unprocessable),
)
async def list_campaigns(
    repo: CampaignRepositoryDep, principal: CurrentPrincipal, params: PageParamsDep
) -> Page[CampaignRead]:
    rows = await service.list_page(repo, principal.organisation_id, params)
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
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses=problem_responses(Forbidden, CampaignNotFound),
)
async def get_campaign(campaign: ValidCampaign, repo: CampaignRepositoryDep) -> CampaignRead:
    totals = await service.totals(repo, [campaign])
    return campaign_read(campaign, totals.get(campaign.id, Totals()))
