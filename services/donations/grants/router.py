from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from kit.db import SessionDep
from kit.errors import Forbidden, Unprocessable, problem_responses
from kit.idempotency import Created, IdempotentCreateDep
from kit.money import MoneyOut
from kit.pagination import Page, PageParamsDep
from services.donations.campaigns.exceptions import (
    CampaignNotSpendable,
    CampaignSettled,
    SpendInOtherCurrency,
)
from services.donations.dates import DatedInFuture
from services.donations.grants import service
from services.donations.grants.auth import GrantsRead, GrantsWrite
from services.donations.grants.exceptions import GrantNotFound, UnknownCampaign
from services.donations.grants.models import GrantPaid, GrantReceived
from services.donations.grants.schemas import (
    GrantPaidCreate,
    GrantPaidRead,
    GrantReceivedCreate,
    GrantReceivedRead,
)
from services.donations.ledger.dependencies import HeldFunds
from services.donations.ledger.exceptions import InsufficientFunds
from services.donations.partner_copies.exceptions import NotAPartner

router = APIRouter(prefix="/api/v1/grants", tags=["grants"])

CampaignFilter = Annotated[uuid.UUID | None, Query(description="only grants of this campaign")]


def received_read(grant: GrantReceived) -> GrantReceivedRead:
    return GrantReceivedRead(
        id=grant.id,
        campaign_id=grant.campaign_id,
        fund_id=grant.fund_id,
        restricted=grant.campaign_id is not None,
        grantor=grant.grantor,
        programme=grant.programme,
        purpose=grant.purpose,
        amount=MoneyOut.from_minor(grant.amount_minor, grant.currency),
        received_at=grant.received_at,
        entry_id=grant.entry_id,
        created_at=grant.created_at,
    )


def paid_read(grant: GrantPaid) -> GrantPaidRead:
    return GrantPaidRead(
        id=grant.id,
        partner_organisation_id=grant.partner_organisation_id,
        campaign_id=grant.campaign_id,
        fund_id=grant.fund_id,
        purpose=grant.purpose,
        amount=MoneyOut.from_minor(grant.amount_minor, grant.currency),
        paid_at=grant.paid_at,
        entry_id=grant.entry_id,
        created_at=grant.created_at,
    )


@router.post(
    "/received",
    status_code=201,
    response_model=GrantReceivedRead,
    summary="Record a grant received",
    description=(
        "Credited to a campaign (restricted to it: spent only through that campaign, and "
        "counted in its `held`) or, without `campaign_id`, to the unrestricted fund. Send an "
        "`Idempotency-Key` so that a retry never records the grant twice."
    ),
    responses=problem_responses(
        Forbidden,
        CampaignSettled,
        Unprocessable,
        UnknownCampaign,
        DatedInFuture,
    ),
)
async def receive_grant(
    principal: GrantsWrite,
    data: GrantReceivedCreate,
    funds: HeldFunds,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    campaign = await funds.campaign(data.campaign_id)

    async def receive() -> Created:
        grant = await service.receive(session, principal.organisation_id, data, campaign)
        return Created(received_read(grant), location=f"/api/v1/grants/received/{grant.id}")

    return await create(data, receive)


@router.get(
    "/received",
    response_model=Page[GrantReceivedRead],
    summary="List the grants the foundation received, newest first",
    responses=problem_responses(Forbidden, Unprocessable),
)
async def list_received(
    principal: GrantsRead,
    session: SessionDep,
    params: PageParamsDep,
    campaign_id: CampaignFilter = None,
) -> Page[GrantReceivedRead]:
    rows = await service.list_received(session, principal.organisation_id, params, campaign_id)
    return params.page(rows, received_read)


@router.get(
    "/received/{grant_id}",
    response_model=GrantReceivedRead,
    summary="Read one grant received",
    responses=problem_responses(Forbidden, GrantNotFound),
)
async def get_received(
    principal: GrantsRead, grant_id: uuid.UUID, session: SessionDep
) -> GrantReceivedRead:
    return received_read(await service.get_received(session, principal.organisation_id, grant_id))


@router.post(
    "/paid",
    status_code=201,
    response_model=GrantPaidRead,
    summary="Pay a grant to a partner organisation",
    description=(
        "Spends a campaign's money (in its currency) or, without `campaign_id`, the "
        "unrestricted fund's; 409 `insufficient-funds` if the fund does not hold it. The "
        "partners service learns of it from the `donations.grant.paid` event. Send an "
        "`Idempotency-Key` so that a retry never pays the grant twice."
    ),
    responses=problem_responses(
        Forbidden,
        CampaignNotSpendable,
        InsufficientFunds,
        NotAPartner,
        Unprocessable,
        UnknownCampaign,
        SpendInOtherCurrency,
        DatedInFuture,
    ),
)
async def pay_grant(
    principal: GrantsWrite,
    data: GrantPaidCreate,
    funds: HeldFunds,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    campaign = await funds.campaign(data.campaign_id)

    async def pay() -> Created:
        grant = await service.pay(session, principal.organisation_id, data, campaign)
        return Created(paid_read(grant), location=f"/api/v1/grants/paid/{grant.id}")

    return await create(data, pay)


@router.get(
    "/paid",
    response_model=Page[GrantPaidRead],
    summary="List the grants the foundation paid, newest first",
    responses=problem_responses(Forbidden, Unprocessable),
)
async def list_paid(
    principal: GrantsRead,
    session: SessionDep,
    params: PageParamsDep,
    campaign_id: CampaignFilter = None,
    partner_organisation_id: Annotated[
        uuid.UUID | None, Query(description="only grants to this partner organisation")
    ] = None,
) -> Page[GrantPaidRead]:
    rows = await service.list_paid(
        session, principal.organisation_id, params, campaign_id, partner_organisation_id
    )
    return params.page(rows, paid_read)


@router.get(
    "/paid/{grant_id}",
    response_model=GrantPaidRead,
    summary="Read one grant paid",
    responses=problem_responses(Forbidden, GrantNotFound),
)
async def get_paid(
    principal: GrantsRead, grant_id: uuid.UUID, session: SessionDep
) -> GrantPaidRead:
    return paid_read(await service.get_paid(session, principal.organisation_id, grant_id))
