from __future__ import annotations

import uuid
from collections import defaultdict

from fastapi import APIRouter
from starlette.responses import Response

from kit.db import SessionDep
from kit.errors import Forbidden, Unprocessable, problem_responses
from kit.idempotency import Created, IdempotentCreateDep
from kit.money import MoneyOut
from kit.pagination import Page, PageParamsDep
from services.donations.campaigns.dependencies import HeldCampaign, ValidCampaign
from services.donations.campaigns.exceptions import CampaignNotFound, CampaignNotSpendable
from services.donations.dates import DatedInFuture
from services.donations.distributions import service
from services.donations.distributions.auth import DistributionsRead, DistributionsWrite
from services.donations.distributions.exceptions import DistributionNotFound, InsufficientStock
from services.donations.distributions.models import Distribution
from services.donations.distributions.repository import LinesWithCurrency
from services.donations.distributions.schemas import (
    DistributionCreate,
    DistributionLineRead,
    DistributionRead,
    RecipientRead,
)

router = APIRouter(prefix="/api/v1/campaigns/{campaign_id}/distributions", tags=["supplies"])


def distribution_read(distribution: Distribution, lines: LinesWithCurrency) -> DistributionRead:
    value: dict[str, int] = defaultdict(int)
    for line, currency in lines:
        value[currency] += line.value_minor
    return DistributionRead(
        id=distribution.id,
        campaign_id=distribution.campaign_id,
        fund_id=distribution.fund_id,
        recipient=RecipientRead(name=distribution.recipient_name, kind=distribution.recipient_kind),
        distributed_at=distribution.distributed_at,
        note=distribution.note,
        lines=[
            DistributionLineRead(
                item=line.item,
                unit=line.unit,
                quantity=line.quantity,
                value=MoneyOut.from_minor(line.value_minor, currency),
            )
            for line, currency in lines
        ],
        value=[MoneyOut.from_minor(minor, currency) for currency, minor in sorted(value.items())],
        entry_id=distribution.entry_id,
        created_at=distribution.created_at,
    )


@router.post(
    "",
    status_code=201,
    response_model=DistributionRead,
    summary="Give goods from a campaign's stock to a recipient",
    description="Never more than the stock holds: 409 `insufficient-stock` names each item, "
    "what is held and what was asked, and nothing changes. The value that leaves is the "
    "item's value in proportion to the quantity (rounded down; the last units take the "
    "rest), booked from stock to distributed. Send an `Idempotency-Key` so that a retry "
    "never records it twice.",
    responses=problem_responses(
        Forbidden,
        CampaignNotFound,
        CampaignNotSpendable,
        InsufficientStock,
        DatedInFuture,
    ),
)
async def record_distribution(
    principal: DistributionsWrite,
    data: DistributionCreate,
    campaign: HeldCampaign,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def record() -> Created:
        distribution, lines = await service.distribute(session, campaign, data)
        return Created(
            distribution_read(distribution, lines),
            location=f"/api/v1/campaigns/{campaign.id}/distributions/{distribution.id}",
        )

    return await create(data, record)


@router.get(
    "",
    response_model=Page[DistributionRead],
    summary="List a campaign's distributions with their lines, newest first",
    responses=problem_responses(Forbidden, CampaignNotFound, Unprocessable),
)
async def list_distributions(
    principal: DistributionsRead,
    campaign: ValidCampaign,
    session: SessionDep,
    params: PageParamsDep,
) -> Page[DistributionRead]:
    rows, lines = await service.list_page(session, campaign, params)
    return params.page(rows, lambda d: distribution_read(d, lines.get(d.id, [])))


@router.get(
    "/{distribution_id}",
    response_model=DistributionRead,
    summary="Read one distribution with its lines",
    responses=problem_responses(Forbidden, CampaignNotFound, DistributionNotFound),
)
async def get_distribution(
    principal: DistributionsRead,
    distribution_id: uuid.UUID,
    campaign: ValidCampaign,
    session: SessionDep,
) -> DistributionRead:
    return distribution_read(*await service.get(session, campaign, distribution_id))
