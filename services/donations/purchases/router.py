from __future__ import annotations

import uuid
from collections.abc import Sequence

from fastapi import APIRouter
from starlette.responses import Response

from kit.db import SessionDep
from kit.errors import Forbidden, Unprocessable, problem_responses
from kit.idempotency import Created, IdempotentCreateDep
from kit.money import MoneyOut
from kit.pagination import Page, PageParamsDep
from services.donations.campaigns.dependencies import HeldCampaign, ValidCampaign
from services.donations.campaigns.exceptions import (
    CampaignNotFound,
    CampaignNotSpendable,
    SpendInOtherCurrency,
)
from services.donations.dates import DatedInFuture
from services.donations.ledger.exceptions import InsufficientFunds
from services.donations.purchases import service
from services.donations.purchases.auth import PurchasesRead, PurchasesWrite
from services.donations.purchases.exceptions import PurchaseNotFound, TotalTooLarge
from services.donations.purchases.models import Purchase, PurchaseLine
from services.donations.purchases.schemas import PurchaseCreate, PurchaseLineRead, PurchaseRead
from services.donations.supplies.schemas import EvidenceRead

router = APIRouter(prefix="/api/v1/campaigns/{campaign_id}/purchases", tags=["supplies"])


def purchase_read(purchase: Purchase, lines: Sequence[PurchaseLine]) -> PurchaseRead:
    currency = purchase.currency
    evidence = None
    if purchase.evidence_ref is not None and purchase.evidence_sha256 is not None:
        evidence = EvidenceRead(ref=purchase.evidence_ref, sha256=purchase.evidence_sha256)
    return PurchaseRead(
        id=purchase.id,
        campaign_id=purchase.campaign_id,
        supplier=purchase.supplier,
        purchased_at=purchase.purchased_at,
        total=MoneyOut.from_minor(purchase.total_minor, currency),
        lines=[
            PurchaseLineRead(
                item=line.item,
                unit=line.unit,
                quantity=line.quantity,
                unit_price=MoneyOut.from_minor(line.unit_price_minor, currency),
                amount=MoneyOut.from_minor(line.amount_minor, currency),
            )
            for line in lines
        ],
        evidence=evidence,
        note=purchase.note,
        entry_id=purchase.entry_id,
        created_at=purchase.created_at,
    )


@router.post(
    "",
    status_code=201,
    response_model=PurchaseRead,
    summary="Buy goods with a campaign's money",
    description="Spends the total (quantity x unit price, summed) from the campaign's cash "
    "and adds each line to its stock at cost. Every price must be in the campaign's "
    "currency. Refused with 409 `insufficient-funds` when the campaign does not hold the "
    "total, also when many purchases arrive at once. Send an `Idempotency-Key` so that a "
    "retry never records it twice.",
    responses=problem_responses(
        Forbidden,
        CampaignNotFound,
        CampaignNotSpendable,
        InsufficientFunds,
        SpendInOtherCurrency,
        DatedInFuture,
        TotalTooLarge,
    ),
)
async def record_purchase(
    principal: PurchasesWrite,
    data: PurchaseCreate,
    campaign: HeldCampaign,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def record() -> Created:
        purchase, lines = await service.purchase(session, campaign, data)
        return Created(
            purchase_read(purchase, lines),
            location=f"/api/v1/campaigns/{campaign.id}/purchases/{purchase.id}",
        )

    return await create(data, record)


@router.get(
    "",
    response_model=Page[PurchaseRead],
    summary="List a campaign's purchases with their lines, newest first",
    responses=problem_responses(Forbidden, CampaignNotFound, Unprocessable),
)
async def list_purchases(
    principal: PurchasesRead, campaign: ValidCampaign, session: SessionDep, params: PageParamsDep
) -> Page[PurchaseRead]:
    rows, lines = await service.list_page(session, campaign, params)
    return params.page(rows, lambda p: purchase_read(p, lines.get(p.id, [])))


@router.get(
    "/{purchase_id}",
    response_model=PurchaseRead,
    summary="Read one purchase with its lines",
    responses=problem_responses(Forbidden, CampaignNotFound, PurchaseNotFound),
)
async def get_purchase(
    principal: PurchasesRead, purchase_id: uuid.UUID, campaign: ValidCampaign, session: SessionDep
) -> PurchaseRead:
    return purchase_read(*await service.get(session, campaign, purchase_id))
