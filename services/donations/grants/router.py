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
from kit.money import MoneyOut
from kit.pagination import Page, PageParamsDep, cut_page
from services.donations.campaigns.exceptions import (
    CampaignNotSpendable,
    CampaignSettled,
    SpendInOtherCurrency,
)
from services.donations.dates import DatedInFuture
from services.donations.grants import service
from services.donations.grants.exceptions import GrantNotFound, UnknownCampaign
from services.donations.grants.models import GrantPaid, GrantReceived
from services.donations.grants.repository import GrantRepository
from services.donations.grants.schemas import (
    GrantPaidCreate,
    GrantPaidRead,
    GrantReceivedCreate,
    GrantReceivedRead,
)
from services.donations.ledger.exceptions import InsufficientFunds
from services.donations.partner_copies.exceptions import NotAPartner

router = APIRouter(prefix="/api/v1/grants", tags=["grants"])


async def grant_repository(session: SessionDep) -> GrantRepository:
    return GrantRepository(session)


GrantRepositoryDep = Annotated[GrantRepository, Depends(grant_repository)]
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
    dependencies=[require_scope(Scope.GRANTS_WRITE)],
    responses=problem_responses(
        Forbidden,
        CampaignSettled,
        IdempotencyInProgress,
        Unprocessable,
        UnknownCampaign,
        DatedInFuture,
        IdempotencyKeyReused,
    ),
)
async def receive_grant(
    data: GrantReceivedCreate,
    repo: GrantRepositoryDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
) -> Response:
    replay = await idempotency.claim(repo.session, principal.organisation_id, data)
    if replay is not None:
        return replay
    grant = await service.receive(repo, principal.organisation_id, data)
    return await idempotency.respond(
        repo.session,
        201,
        received_read(grant),
        location=f"/api/v1/grants/received/{grant.id}",
    )


@router.get(
    "/received",
    response_model=Page[GrantReceivedRead],
    summary="List the grants the foundation received, newest first",
    dependencies=[require_scope(Scope.LEDGER_READ)],
    responses=problem_responses(Forbidden, Unprocessable),
)
async def list_received(
    repo: GrantRepositoryDep,
    principal: CurrentPrincipal,
    params: PageParamsDep,
    campaign_id: CampaignFilter = None,
) -> Page[GrantReceivedRead]:
    rows = await service.list_received(repo, principal.organisation_id, params, campaign_id)
    grants, next_cursor = cut_page(rows, params, lambda g: g.id)
    return Page(items=[received_read(g) for g in grants], next_cursor=next_cursor)


@router.get(
    "/received/{grant_id}",
    response_model=GrantReceivedRead,
    summary="Read one grant received",
    dependencies=[require_scope(Scope.LEDGER_READ)],
    responses=problem_responses(Forbidden, GrantNotFound),
)
async def get_received(
    grant_id: uuid.UUID, repo: GrantRepositoryDep, principal: CurrentPrincipal
) -> GrantReceivedRead:
    return received_read(await service.get_received(repo, principal.organisation_id, grant_id))


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
    dependencies=[require_scope(Scope.GRANTS_WRITE)],
    responses=problem_responses(
        Forbidden,
        CampaignNotSpendable,
        InsufficientFunds,
        NotAPartner,
        IdempotencyInProgress,
        Unprocessable,
        UnknownCampaign,
        SpendInOtherCurrency,
        DatedInFuture,
        IdempotencyKeyReused,
    ),
)
async def pay_grant(
    data: GrantPaidCreate,
    repo: GrantRepositoryDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
) -> Response:
    replay = await idempotency.claim(repo.session, principal.organisation_id, data)
    if replay is not None:
        return replay
    grant = await service.pay(repo, principal.organisation_id, data)
    return await idempotency.respond(
        repo.session, 201, paid_read(grant), location=f"/api/v1/grants/paid/{grant.id}"
    )


@router.get(
    "/paid",
    response_model=Page[GrantPaidRead],
    summary="List the grants the foundation paid, newest first",
    dependencies=[require_scope(Scope.LEDGER_READ)],
    responses=problem_responses(Forbidden, Unprocessable),
)
async def list_paid(
    repo: GrantRepositoryDep,
    principal: CurrentPrincipal,
    params: PageParamsDep,
    campaign_id: CampaignFilter = None,
    partner_organisation_id: Annotated[
        uuid.UUID | None, Query(description="only grants to this partner organisation")
    ] = None,
) -> Page[GrantPaidRead]:
    rows = await service.list_paid(
        repo, principal.organisation_id, params, campaign_id, partner_organisation_id
    )
    grants, next_cursor = cut_page(rows, params, lambda g: g.id)
    return Page(items=[paid_read(g) for g in grants], next_cursor=next_cursor)


@router.get(
    "/paid/{grant_id}",
    response_model=GrantPaidRead,
    summary="Read one grant paid",
    dependencies=[require_scope(Scope.LEDGER_READ)],
    responses=problem_responses(Forbidden, GrantNotFound),
)
async def get_paid(
    grant_id: uuid.UUID, repo: GrantRepositoryDep, principal: CurrentPrincipal
) -> GrantPaidRead:
    return paid_read(await service.get_paid(repo, principal.organisation_id, grant_id))
