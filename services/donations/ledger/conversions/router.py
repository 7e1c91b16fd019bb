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
from services.donations.campaigns.exceptions import CampaignSettled
from services.donations.dates import DatedInFuture
from services.donations.ledger.conversions import service
from services.donations.ledger.conversions.auth import ConversionsRead, ConversionsWrite
from services.donations.ledger.conversions.exceptions import (
    ConversionNotFound,
    ConversionOutOfRange,
    UnknownFund,
)
from services.donations.ledger.conversions.schemas import ConversionCreate, ConversionRead
from services.donations.ledger.dependencies import HeldFunds
from services.donations.ledger.exceptions import InsufficientFunds
from services.donations.ledger.models import Conversion

router = APIRouter(prefix="/api/v1/ledger/conversions", tags=["ledger"])


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
    responses=problem_responses(
        Forbidden,
        InsufficientFunds,
        CampaignSettled,
        Unprocessable,
        UnknownFund,
        ConversionOutOfRange,
        DatedInFuture,
    ),
)
async def convert(
    principal: ConversionsWrite,
    data: ConversionCreate,
    funds: HeldFunds,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    campaign = await funds.fund(data.fund_id)

    async def record() -> Created:
        conversion = await service.create(session, principal.organisation_id, data, campaign)
        return Created(
            conversion_read(conversion), location=f"/api/v1/ledger/conversions/{conversion.id}"
        )

    return await create(data, record)


@router.get(
    "",
    response_model=Page[ConversionRead],
    summary="List the foundation's conversions, newest first",
    responses=problem_responses(Forbidden, Unprocessable),
)
async def list_conversions(
    principal: ConversionsRead,
    session: SessionDep,
    params: PageParamsDep,
    fund_id: Annotated[
        uuid.UUID | None, Query(description="only conversions of this campaign or fund")
    ] = None,
) -> Page[ConversionRead]:
    rows = await service.list_page(session, principal.organisation_id, params, fund_id)
    return params.page(rows, conversion_read)


@router.get(
    "/{conversion_id}",
    response_model=ConversionRead,
    summary="Read one conversion",
    responses=problem_responses(Forbidden, ConversionNotFound),
)
async def get_conversion(
    principal: ConversionsRead, conversion_id: uuid.UUID, session: SessionDep
) -> ConversionRead:
    return conversion_read(await service.get(session, principal.organisation_id, conversion_id))
