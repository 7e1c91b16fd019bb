from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
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
from services.donations.campaigns.dependencies import ValidCampaign
from services.donations.campaigns.exceptions import (
    CampaignClosed,
    CampaignNotFound,
    CampaignNotSpendable,
    ReceivedAfterEnd,
    SpendInOtherCurrency,
)
from services.donations.dates import DatedInFuture
from services.donations.ledger.exceptions import InsufficientFunds
from services.donations.supplies import service
from services.donations.supplies.exceptions import (
    DistributionNotFound,
    FairValueInOtherCurrency,
    InKindDonationNotFound,
    InsufficientStock,
    PurchaseNotFound,
    TotalTooLarge,
)
from services.donations.supplies.models import (
    Distribution,
    DistributionLine,
    InKindDonation,
    Purchase,
    PurchaseLine,
    StockItem,
)
from services.donations.supplies.repository import SupplyRepository
from services.donations.supplies.schemas import (
    DistributionCreate,
    DistributionLineRead,
    DistributionRead,
    EvidenceRead,
    InKindDonationCreate,
    InKindDonationRead,
    PurchaseCreate,
    PurchaseLineRead,
    PurchaseRead,
    RecipientRead,
    StockItemRead,
)

router = APIRouter(prefix="/api/v1", tags=["supplies"])

CAMPAIGN = "/campaigns/{campaign_id}"
IDEMPOTENT = "Send an `Idempotency-Key` so that a retry never records it twice."


async def supply_repository(session: SessionDep) -> SupplyRepository:
    return SupplyRepository(session)


SupplyRepositoryDep = Annotated[SupplyRepository, Depends(supply_repository)]
InStock = Annotated[bool, Query(description="only items with units left")]


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


def distribution_read(
    distribution: Distribution, lines: Sequence[tuple[DistributionLine, str]]
) -> DistributionRead:
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


# In-kind donations


@router.post(
    f"{CAMPAIGN}/in-kind-donations",
    status_code=201,
    response_model=InKindDonationRead,
    summary="Receive goods donated to a campaign into its stock",
    description="With a `fair_value` the goods are booked in the ledger (stock debited, "
    f"in-kind income credited); without, only the stock grows. {IDEMPOTENT}",
    dependencies=[require_scope(Scope.DONATIONS_WRITE)],
    responses=problem_responses(
        Forbidden,
        CampaignNotFound,
        CampaignClosed,
        ReceivedAfterEnd,
        IdempotencyInProgress,
        FairValueInOtherCurrency,
        DatedInFuture,
        IdempotencyKeyReused,
    ),
)
async def receive_in_kind(
    data: InKindDonationCreate,
    campaign: ValidCampaign,
    repo: SupplyRepositoryDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
) -> Response:
    replay = await idempotency.claim(repo.session, principal.organisation_id, data)
    if replay is not None:
        return replay
    donation = await service.receive_in_kind(repo, campaign, data)
    return await idempotency.respond(
        repo.session,
        201,
        in_kind_read(donation),
        location=f"/api/v1/campaigns/{campaign.id}/in-kind-donations/{donation.id}",
    )


@router.get(
    f"{CAMPAIGN}/in-kind-donations",
    response_model=Page[InKindDonationRead],
    summary="List a campaign's in-kind donations, newest first",
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses=problem_responses(Forbidden, CampaignNotFound, Unprocessable),
)
async def list_in_kind(
    campaign: ValidCampaign, repo: SupplyRepositoryDep, params: PageParamsDep
) -> Page[InKindDonationRead]:
    rows = await service.list_in_kind(repo, campaign, params)
    donations, next_cursor = cut_page(rows, params, lambda d: d.id)
    return Page(items=[in_kind_read(d) for d in donations], next_cursor=next_cursor)


@router.get(
    f"{CAMPAIGN}/in-kind-donations/{{donation_id}}",
    response_model=InKindDonationRead,
    summary="Read one in-kind donation",
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses=problem_responses(Forbidden, CampaignNotFound, InKindDonationNotFound),
)
async def get_in_kind(
    donation_id: uuid.UUID, campaign: ValidCampaign, repo: SupplyRepositoryDep
) -> InKindDonationRead:
    return in_kind_read(await service.get_in_kind(repo, campaign, donation_id))


# Purchases


@router.post(
    f"{CAMPAIGN}/purchases",
    status_code=201,
    response_model=PurchaseRead,
    summary="Buy goods with a campaign's money",
    description="Spends the total (quantity x unit price, summed) from the campaign's cash "
    "and adds each line to its stock at cost. Every price must be in the campaign's "
    "currency. Refused with 409 `insufficient-funds` when the campaign does not hold the "
    f"total, also when many purchases arrive at once. {IDEMPOTENT}",
    dependencies=[require_scope(Scope.SPENDING_WRITE)],
    responses=problem_responses(
        Forbidden,
        CampaignNotFound,
        CampaignNotSpendable,
        InsufficientFunds,
        IdempotencyInProgress,
        SpendInOtherCurrency,
        DatedInFuture,
        TotalTooLarge,
        IdempotencyKeyReused,
    ),
)
async def record_purchase(
    data: PurchaseCreate,
    campaign: ValidCampaign,
    repo: SupplyRepositoryDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
) -> Response:
    replay = await idempotency.claim(repo.session, principal.organisation_id, data)
    if replay is not None:
        return replay
    purchase, lines = await service.purchase(repo, campaign, data)
    return await idempotency.respond(
        repo.session,
        201,
        purchase_read(purchase, lines),
        location=f"/api/v1/campaigns/{campaign.id}/purchases/{purchase.id}",
    )


@router.get(
    f"{CAMPAIGN}/purchases",
    response_model=Page[PurchaseRead],
    summary="List a campaign's purchases with their lines, newest first",
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses=problem_responses(Forbidden, CampaignNotFound, Unprocessable),
)
async def list_purchases(
    campaign: ValidCampaign, repo: SupplyRepositoryDep, params: PageParamsDep
) -> Page[PurchaseRead]:
    rows, lines = await service.list_purchases(repo, campaign, params)
    purchases, next_cursor = cut_page(rows, params, lambda p: p.id)
    return Page(
        items=[purchase_read(p, lines.get(p.id, [])) for p in purchases], next_cursor=next_cursor
    )


@router.get(
    f"{CAMPAIGN}/purchases/{{purchase_id}}",
    response_model=PurchaseRead,
    summary="Read one purchase with its lines",
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses=problem_responses(Forbidden, CampaignNotFound, PurchaseNotFound),
)
async def get_purchase(
    purchase_id: uuid.UUID, campaign: ValidCampaign, repo: SupplyRepositoryDep
) -> PurchaseRead:
    return purchase_read(*await service.get_purchase(repo, campaign, purchase_id))


# Distributions


@router.post(
    f"{CAMPAIGN}/distributions",
    status_code=201,
    response_model=DistributionRead,
    summary="Give goods from a campaign's stock to a recipient",
    description="Never more than the stock holds: 409 `insufficient-stock` names each item, "
    "what is held and what was asked, and nothing changes. The value that leaves is the "
    "item's value in proportion to the quantity (rounded down; the last units take the "
    f"rest), booked from stock to distributed. {IDEMPOTENT}",
    dependencies=[require_scope(Scope.SPENDING_WRITE)],
    responses=problem_responses(
        Forbidden,
        CampaignNotFound,
        CampaignNotSpendable,
        InsufficientStock,
        IdempotencyInProgress,
        DatedInFuture,
        IdempotencyKeyReused,
    ),
)
async def record_distribution(
    data: DistributionCreate,
    campaign: ValidCampaign,
    repo: SupplyRepositoryDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
) -> Response:
    replay = await idempotency.claim(repo.session, principal.organisation_id, data)
    if replay is not None:
        return replay
    distribution, lines = await service.distribute(repo, campaign, data)
    return await idempotency.respond(
        repo.session,
        201,
        distribution_read(distribution, lines),
        location=f"/api/v1/campaigns/{campaign.id}/distributions/{distribution.id}",
    )


@router.get(
    f"{CAMPAIGN}/distributions",
    response_model=Page[DistributionRead],
    summary="List a campaign's distributions with their lines, newest first",
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses=problem_responses(Forbidden, CampaignNotFound, Unprocessable),
)
async def list_distributions(
    campaign: ValidCampaign, repo: SupplyRepositoryDep, params: PageParamsDep
) -> Page[DistributionRead]:
    rows, lines = await service.list_distributions(repo, campaign, params)
    distributions, next_cursor = cut_page(rows, params, lambda d: d.id)
    return Page(
        items=[distribution_read(d, lines.get(d.id, [])) for d in distributions],
        next_cursor=next_cursor,
    )


@router.get(
    f"{CAMPAIGN}/distributions/{{distribution_id}}",
    response_model=DistributionRead,
    summary="Read one distribution with its lines",
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses=problem_responses(Forbidden, CampaignNotFound, DistributionNotFound),
)
async def get_distribution(
    distribution_id: uuid.UUID, campaign: ValidCampaign, repo: SupplyRepositoryDep
) -> DistributionRead:
    return distribution_read(*await service.get_distribution(repo, campaign, distribution_id))


# Stock


@router.get(
    f"{CAMPAIGN}/stock",
    response_model=Page[StockItemRead],
    summary="The goods a campaign holds: quantity and value per item and unit",
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses=problem_responses(Forbidden, CampaignNotFound, Unprocessable),
)
async def campaign_stock(
    campaign: ValidCampaign,
    repo: SupplyRepositoryDep,
    params: PageParamsDep,
    in_stock: InStock = False,
) -> Page[StockItemRead]:
    rows = await service.stock(repo, campaign.foundation_id, campaign.id, params, in_stock=in_stock)
    items, next_cursor = cut_page(rows, params, lambda i: i.id)
    return Page(items=[stock_item_read(i) for i in items], next_cursor=next_cursor)


@router.get(
    "/stock",
    response_model=Page[StockItemRead],
    summary="The goods the foundation holds in all its funds",
    dependencies=[require_scope(Scope.CAMPAIGNS_READ)],
    responses=problem_responses(Forbidden, Unprocessable),
)
async def foundation_stock(
    repo: SupplyRepositoryDep,
    principal: CurrentPrincipal,
    params: PageParamsDep,
    in_stock: InStock = False,
    fund_id: Annotated[
        uuid.UUID | None, Query(description="only the items of this campaign or fund")
    ] = None,
) -> Page[StockItemRead]:
    rows = await service.stock(repo, principal.organisation_id, fund_id, params, in_stock=in_stock)
    items, next_cursor = cut_page(rows, params, lambda i: i.id)
    return Page(items=[stock_item_read(i) for i in items], next_cursor=next_cursor)
