from __future__ import annotations

import uuid

from fastapi import APIRouter
from starlette.responses import Response

from kit.db import SessionDep
from kit.errors import Forbidden, Unprocessable, problem_responses
from kit.idempotency import Created, IdempotentCreateDep
from kit.money import MoneyOut
from kit.pagination import Page, PageParamsDep
from services.donations.campaigns.dependencies import HeldCampaign, ValidCampaign
from services.donations.campaigns.exceptions import (
    CampaignClosed,
    CampaignNotFound,
    ReceivedAfterEnd,
)
from services.donations.dates import DatedInFuture
from services.donations.in_kind import service
from services.donations.in_kind.auth import InKindRead, InKindWrite
from services.donations.in_kind.exceptions import FairValueInOtherCurrency, InKindDonationNotFound
from services.donations.in_kind.models import InKindDonation
from services.donations.in_kind.schemas import InKindDonationCreate, InKindDonationRead

router = APIRouter(prefix="/api/v1/campaigns/{campaign_id}/in-kind-donations", tags=["supplies"])


def in_kind_read(donation: InKindDonation) -> InKindDonationRead:
    fair_value = None
    if donation.fair_value_minor is not None and donation.currency is not None:
        fair_value = MoneyOut.from_minor(donation.fair_value_minor, donation.currency)
    return InKindDonationRead(
        id=donation.id,
        campaign_id=donation.campaign_id,
        item=donation.item,
        unit=donation.unit,
        quantity=donation.quantity,
        fair_value=fair_value,
        donor_name=donation.donor_name,
        anonymous=donation.anonymous,
        received_at=donation.received_at,
        entry_id=donation.entry_id,
        created_at=donation.created_at,
    )


@router.post(
    "",
    status_code=201,
    response_model=InKindDonationRead,
    summary="Receive goods donated to a campaign into its stock",
    description="With a `fair_value` the goods are booked in the ledger (stock debited, "
    "in-kind income credited); without, only the stock grows. Send an `Idempotency-Key` so "
    "that a retry never records it twice.",
    responses=problem_responses(
        Forbidden,
        CampaignNotFound,
        CampaignClosed,
        ReceivedAfterEnd,
        FairValueInOtherCurrency,
        DatedInFuture,
    ),
)
async def receive_in_kind(
    principal: InKindWrite,
    data: InKindDonationCreate,
    campaign: HeldCampaign,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def receive() -> Created:
        donation = await service.receive(session, campaign, data)
        return Created(
            in_kind_read(donation),
            location=f"/api/v1/campaigns/{campaign.id}/in-kind-donations/{donation.id}",
        )

    return await create(data, receive)


@router.get(
    "",
    response_model=Page[InKindDonationRead],
    summary="List a campaign's in-kind donations, newest first",
    responses=problem_responses(Forbidden, CampaignNotFound, Unprocessable),
)
async def list_in_kind(
    principal: InKindRead, campaign: ValidCampaign, session: SessionDep, params: PageParamsDep
) -> Page[InKindDonationRead]:
    return params.page(await service.list_page(session, campaign, params), in_kind_read)


@router.get(
    "/{donation_id}",
    response_model=InKindDonationRead,
    summary="Read one in-kind donation",
    responses=problem_responses(Forbidden, CampaignNotFound, InKindDonationNotFound),
)
async def get_in_kind(
    principal: InKindRead, donation_id: uuid.UUID, campaign: ValidCampaign, session: SessionDep
) -> InKindDonationRead:
    return in_kind_read(await service.get(session, campaign, donation_id))
