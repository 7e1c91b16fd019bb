from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from starlette.responses import Response

from kit.app import SessionDep
from kit.errors import Forbidden, IdempotencyInProgress, IdempotencyKeyReused, problem_responses
from kit.idempotency import IdempotencyDep
from kit.identity import CurrentPrincipal, Scope, require_scope
from kit.money import MoneyOut
from kit.pagination import Page, PageParamsDep, cut_page
from services.donations.campaigns.exceptions import CampaignClosed, CampaignNotFound
from services.donations.campaigns.router import HeldCampaign, ValidCampaign
from services.donations.donations import service
from services.donations.donations.exceptions import (
    DonationInFuture,
    DonationNotFound,
    DuplicateTransaction,
)
from services.donations.donations.models import Donation
from services.donations.donations.repository import DonationRepository
from services.donations.donations.schemas import DonationCreate, DonationRead

router = APIRouter(prefix="/api/v1/campaigns/{campaign_id}/donations", tags=["donations"])


async def donation_repository(session: SessionDep) -> DonationRepository:
    return DonationRepository(session)


DonationRepositoryDep = Annotated[DonationRepository, Depends(donation_repository)]


def donation_read(donation: Donation) -> DonationRead:
    return DonationRead(
        id=donation.id,
        campaign_id=donation.campaign_id,
        amount=MoneyOut.of(donation.amount),
        refunded=MoneyOut.from_minor(donation.refunded_minor, donation.currency),
        channel=donation.channel,
        external_id=donation.external_id,
        donor_name=donation.donor_name,
        anonymous=donation.anonymous,
        donated_at=donation.donated_at,
        receipt_number=donation.receipt_number,
        entry_id=donation.entry_id,
        created_at=donation.created_at,
    )


@router.post(
    "",
    status_code=201,
    response_model=DonationRead,
    summary="Record a money donation to a campaign",
    description="Send an `Idempotency-Key` so that a retry never records the donation twice.",
    dependencies=[require_scope(Scope.DONATIONS_WRITE)],
    responses=problem_responses(
        Forbidden,
        CampaignNotFound,
        CampaignClosed,
        IdempotencyInProgress,
        DuplicateTransaction,
        DonationInFuture,
        IdempotencyKeyReused,
    ),
)
async def record_donation(
    data: DonationCreate,
    campaign: HeldCampaign,
    repo: DonationRepositoryDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
) -> Response:
    replay = await idempotency.claim(repo.session, principal.organisation_id, data)
    if replay is not None:
        return replay
    donation = await service.record(repo, campaign, data)
    return await idempotency.respond(
        repo.session,
        201,
        donation_read(donation),
        location=f"/api/v1/campaigns/{campaign.id}/donations/{donation.id}",
    )


@router.get(
    "",
    response_model=Page[DonationRead],
    summary="List a campaign's donations, newest first",
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses=problem_responses(Forbidden, CampaignNotFound),
)
async def list_donations(
    campaign: ValidCampaign, repo: DonationRepositoryDep, params: PageParamsDep
) -> Page[DonationRead]:
    rows = await service.list_page(repo, campaign, params)
    donations, next_cursor = cut_page(rows, params, lambda d: d.id)
    return Page(items=[donation_read(d) for d in donations], next_cursor=next_cursor)


@router.get(
    "/{donation_id}",
    response_model=DonationRead,
    summary="Read one donation",
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses=problem_responses(Forbidden, CampaignNotFound, DonationNotFound),
)
async def get_donation(
    donation_id: uuid.UUID, campaign: ValidCampaign, repo: DonationRepositoryDep
) -> DonationRead:
    return donation_read(await service.get(repo, campaign, donation_id))
