from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from starlette.responses import Response

from kit.db import SessionDep
from kit.errors import Forbidden, Unprocessable, problem_responses
from kit.idempotency import Created, IdempotentCreateDep
from kit.pagination import Page, PageParamsDep
from services.network.auth import NetworkRead, NetworkWrite
from services.network.offers import service
from services.network.offers.dependencies import VisibleOffer
from services.network.offers.exceptions import (
    NotClaimable,
    NotEnoughLeft,
    OfferExpired,
    OfferNotFound,
)
from services.network.offers.schemas import (
    ClaimCreate,
    ClaimRead,
    OfferCreate,
    OfferDetailsRead,
    OfferKind,
    OfferRead,
)
from services.network.offers.service import Offer
from services.network.resources.exceptions import NotInNetwork, PairingNotUsable
from services.network.resources.schemas import read

router = APIRouter(prefix="/api/v1/offers", tags=["offers and requests"])


def offer_read(offer: Offer) -> OfferRead:
    return OfferRead(
        resource=read(offer.shared.resource, offer.shared.targets),
        details=OfferDetailsRead.model_validate(offer.details),
    )


class ClaimAnswer(BaseModel):
    claim: ClaimRead
    remaining: int


@router.post(
    "",
    status_code=201,
    response_model=OfferRead,
    summary="Offer surplus supplies, or ask for them",
    description="`kind: offer` or `kind: request`. It is a shared resource too (shared, "
    "versioned and synced like any other; change or delete it under "
    "`/api/v1/shared-resources/{id}`). Send an `Idempotency-Key`.",
    responses=problem_responses(Forbidden, NotInNetwork, PairingNotUsable, Unprocessable),
)
async def create_offer(
    principal: NetworkWrite, data: OfferCreate, session: SessionDep, create: IdempotentCreateDep
) -> Response:
    async def make() -> Created:
        offer = await service.create(session, principal, data)
        return Created(offer_read(offer), location=f"/api/v1/offers/{offer.shared.resource.id}")

    return await create(data, make)


@router.get(
    "",
    response_model=Page[OfferRead],
    summary="Offers and requests the caller may see, newest first",
    responses=problem_responses(Forbidden),
)
async def list_offers(
    *,
    principal: NetworkRead,
    session: SessionDep,
    params: PageParamsDep,
    kind: Annotated[OfferKind | None, Query(description="offer or request")] = None,
    item: Annotated[str | None, Query(max_length=200, description="part of the item")] = None,
    region: Annotated[str | None, Query(max_length=100)] = None,
    owner_id: Annotated[uuid.UUID | None, Query(description="only this foundation's")] = None,
) -> Page[OfferRead]:
    rows = await service.list_visible(
        session, principal, params, kind=kind, item=item, region=region, owner_id=owner_id
    )
    return params.page(rows, offer_read, key=lambda o: o.shared.resource.id)


@router.get(
    "/{offer_id}",
    response_model=OfferRead,
    summary="Read an offer or request",
    responses=problem_responses(Forbidden, OfferNotFound),
)
async def get_offer(offer: VisibleOffer) -> OfferRead:
    return offer_read(offer)


@router.get(
    "/{offer_id}/matches",
    response_model=list[OfferRead],
    summary="Suggested matches: requests an offer could serve, offers a request could use",
    description="Among what the caller may see: by item (one containing the other, any "
    "case), live and unexpired offers with something left, the same region first; at most "
    f"{service.MATCHES}.",
    responses=problem_responses(Forbidden, OfferNotFound),
)
async def matches(
    principal: NetworkRead, offer: VisibleOffer, session: SessionDep
) -> list[OfferRead]:
    return [offer_read(o) for o in await service.matches(session, offer, principal)]


@router.post(
    "/{offer_id}/claims",
    status_code=201,
    response_model=ClaimAnswer,
    summary="Claim part of an offer",
    description="Never more than is left, however many claim at once: 409 "
    "`not-enough-left` says how much is.",
    responses=problem_responses(
        Forbidden, OfferNotFound, NotEnoughLeft, OfferExpired, NotClaimable
    ),
)
async def claim_offer(
    principal: NetworkWrite, data: ClaimCreate, offer: VisibleOffer, session: SessionDep
) -> ClaimAnswer:
    made, left = await service.claim(session, offer, principal, data.quantity, data.note)
    return ClaimAnswer(claim=ClaimRead.model_validate(made), remaining=left)


@router.get(
    "/{offer_id}/claims",
    response_model=Page[ClaimRead],
    summary="An offer's claims (all for its owner; one's own for others), newest first",
    responses=problem_responses(Forbidden, OfferNotFound),
)
async def list_claims(
    principal: NetworkRead, offer: VisibleOffer, session: SessionDep, params: PageParamsDep
) -> Page[ClaimRead]:
    rows = await service.claims(session, offer, principal, params)
    return params.page(rows, ClaimRead.model_validate)
