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
from services.donations.campaigns.exceptions import CampaignSettled
from services.donations.dates import DatedInFuture
from services.donations.ledger.conversions import service
from services.donations.ledger.conversions.exceptions import (
    ConversionNotFound,
    ConversionOutOfRange,
    UnknownFund,
)
from services.donations.ledger.conversions.repository import ConversionRepository
from services.donations.ledger.conversions.schemas import ConversionCreate, ConversionRead
from services.donations.ledger.exceptions import InsufficientFunds
from services.donations.ledger.models import Conversion

router = APIRouter(prefix="/api/v1/ledger/conversions", tags=["ledger"])


async def conversion_repository(session: SessionDep) -> ConversionRepository:
    return ConversionRepository(session)


ConversionRepositoryDep = Annotated[ConversionRepository, Depends(conversion_repository)]


def conversion_read(conversion: Conversion) -> ConversionRead:
    return ConversionRead(
        id=conversion.id,
        fund_id=conversion.fund_id,
        from_=MoneyOut.from_minor(conversion.from_minor, conversion.from_currency),
        to=MoneyOut.from_minor(conversion.to_minor, conversion.to_currency),
        rate=conversion.rate,
        rate_source=conversion.rate_source,
        rate_date=conversion.rate_date,
        converted_at=conversion.converted_at,
        entry_id=conversion.entry_id,
    )


@router.post(
    "",
    status_code=201,
    response_model=ConversionRead,
    summary="Convert a fund's money to another currency at a recorded rate",
    description=(
        "The result is `from` × `rate`, exact, rounded half to even to the target "
        "currency's minor unit. 409 `insufficient-funds` if the fund does not hold the "
        "`from` amount. Send an `Idempotency-Key` so that a retry never converts twice."
    ),
    dependencies=[require_scope(Scope.SPENDING_WRITE)],
    responses=problem_responses(
        Forbidden,
        InsufficientFunds,
        CampaignSettled,
        IdempotencyInProgress,
        Unprocessable,
        UnknownFund,
        ConversionOutOfRange,
        DatedInFuture,
        IdempotencyKeyReused,
    ),
)
async def convert(
    data: ConversionCreate,
    repo: ConversionRepositoryDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
) -> Response:
    replay = await idempotency.claim(repo.session, principal.organisation_id, data)
    if replay is not None:
        return replay
    conversion = await service.create(repo, principal.organisation_id, data)
    return await idempotency.respond(
        repo.session,
        201,
        conversion_read(conversion),
        location=f"/api/v1/ledger/conversions/{conversion.id}",
    )


@router.get(
    "",
    response_model=Page[ConversionRead],
    summary="List the foundation's conversions, newest first",
    dependencies=[require_scope(Scope.LEDGER_READ)],
    responses=problem_responses(Forbidden, Unprocessable),
)
async def list_conversions(
    repo: ConversionRepositoryDep,
    principal: CurrentPrincipal,
    params: PageParamsDep,
    fund_id: Annotated[
        uuid.UUID | None, Query(description="only conversions of this campaign or fund")
    ] = None,
) -> Page[ConversionRead]:
    rows = await service.list_page(repo, principal.organisation_id, params, fund_id)
    conversions, next_cursor = cut_page(rows, params, lambda c: c.id)
    return Page(items=[conversion_read(c) for c in conversions], next_cursor=next_cursor)


@router.get(
    "/{conversion_id}",
    response_model=ConversionRead,
    summary="Read one conversion",
    dependencies=[require_scope(Scope.LEDGER_READ)],
    responses=problem_responses(Forbidden, ConversionNotFound),
)
async def get_conversion(
    conversion_id: uuid.UUID, repo: ConversionRepositoryDep, principal: CurrentPrincipal
) -> ConversionRead:
    return conversion_read(await service.get(repo, principal.organisation_id, conversion_id))
