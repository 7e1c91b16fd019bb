from __future__ import annotations

import uuid

from fastapi import APIRouter
from starlette.responses import Response

from kit.db import SessionDep
from kit.errors import Forbidden, Unprocessable, problem_responses
from kit.idempotency import Created, IdempotentCreateDep
from kit.money import MoneyOut
from kit.pagination import Page, PageParamsDep
from services.donations.campaigns.dependencies import HeldCampaign
from services.donations.campaigns.exceptions import CampaignNotFound, CampaignSettled
from services.donations.donations.dependencies import ValidDonation
from services.donations.donations.exceptions import DonationNotFound
from services.donations.ledger.exceptions import InsufficientFunds
from services.donations.refunds import service
from services.donations.refunds.auth import RefundsRead, RefundsWrite
from services.donations.refunds.exceptions import RefundCurrencyMismatch, RefundExceedsDonation
from services.donations.refunds.models import Refund
from services.donations.refunds.schemas import RefundCreate, RefundRead

router = APIRouter(
    prefix="/api/v1/campaigns/{campaign_id}/donations/{donation_id}/refunds", tags=["donations"]
)


def refund_read(refund: Refund) -> RefundRead:
    return RefundRead(
        id=refund.id,
        donation_id=refund.donation_id,
        campaign_id=refund.campaign_id,
        amount=MoneyOut.from_minor(refund.amount_minor, refund.currency),
        reason=refund.reason,
        entry_id=refund.entry_id,
        created_at=refund.created_at,
    )


@router.post(
    "",
    status_code=201,
    response_model=RefundRead,
    summary="Refund all or part of a donation",
    description=(
        "A refund is a new ledger entry; the donation's `refunded` grows. Never more than is "
        "left of the donation (422 `refund-exceeds-donation`, saying how much is left), in the "
        "donation's currency only, never once the campaign is settled (409), and never money "
        "the campaign has already spent (409 `insufficient-funds`). Send an `Idempotency-Key` "
        "so that a retry never refunds twice."
    ),
    responses=problem_responses(
        Forbidden,
        CampaignNotFound,
        DonationNotFound,
        CampaignSettled,
        InsufficientFunds,
        RefundExceedsDonation,
        RefundCurrencyMismatch,
        Unprocessable,
    ),
)
async def refund_donation(
    principal: RefundsWrite,
    donation_id: uuid.UUID,
    data: RefundCreate,
    campaign: HeldCampaign,
    *,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def give_back() -> Created:
        refund = await service.refund(session, campaign, donation_id, data)
        return Created(
            refund_read(refund),
            location=f"/api/v1/campaigns/{campaign.id}/donations/{donation_id}/refunds",
        )

    return await create(data, give_back)


@router.get(
    "",
    response_model=Page[RefundRead],
    summary="List a donation's refunds, newest first",
    responses=problem_responses(Forbidden, CampaignNotFound, DonationNotFound),
)
async def list_refunds(
    principal: RefundsRead, donation: ValidDonation, session: SessionDep, params: PageParamsDep
) -> Page[RefundRead]:
    rows = await service.list_page(session, donation, params)
    return params.page(rows, refund_read)
