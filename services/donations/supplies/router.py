from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from kit.db import SessionDep
from kit.errors import Forbidden, Unprocessable, problem_responses
from kit.money import MoneyOut
from kit.pagination import Page, PageParamsDep
from services.donations.campaigns.dependencies import ValidCampaign
from services.donations.campaigns.exceptions import CampaignNotFound
from services.donations.supplies import service
from services.donations.supplies.auth import StockRead
from services.donations.supplies.models import StockItem
from services.donations.supplies.schemas import StockItemRead

router = APIRouter(prefix="/api/v1", tags=["supplies"])

InStock = Annotated[bool, Query(description="only items with units left")]


def stock_item_read(item: StockItem) -> StockItemRead:
    return StockItemRead(
        id=item.id,
        fund_id=item.fund_id,
        item=item.name,
        unit=item.unit,
        quantity=item.quantity,
        value=MoneyOut.from_minor(item.value_minor, item.currency),
        created_at=item.created_at,
    )


@router.get(
    "/campaigns/{campaign_id}/stock",
    response_model=Page[StockItemRead],
    summary="The goods a campaign holds: quantity and value per item and unit",
    responses=problem_responses(Forbidden, CampaignNotFound, Unprocessable),
)
async def campaign_stock(
    principal: StockRead,
    campaign: ValidCampaign,
    session: SessionDep,
    params: PageParamsDep,
    in_stock: InStock = False,
) -> Page[StockItemRead]:
    rows = await service.list_stock(
        session, campaign.foundation_id, campaign.id, params, in_stock=in_stock
    )
    return params.page(rows, stock_item_read)


@router.get(
    "/stock",
    response_model=Page[StockItemRead],
    summary="The goods the foundation holds in all its funds",
    responses=problem_responses(Forbidden, Unprocessable),
)
async def foundation_stock(
    principal: StockRead,
    session: SessionDep,
    params: PageParamsDep,
    in_stock: InStock = False,
    fund_id: Annotated[
        uuid.UUID | None, Query(description="only the items of this campaign or fund")
    ] = None,
) -> Page[StockItemRead]:
    rows = await service.list_stock(
        session, principal.organisation_id, fund_id, params, in_stock=in_stock
    )
    return params.page(rows, stock_item_read)
