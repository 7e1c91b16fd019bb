"""Offer and request rules. Never commits.

An offer or a request is a shared resource (kind ``offer`` or ``request``: visibility,
versions, the sync feed, all as for any other) with its details beside it. Claims take from
``remaining`` with one conditional update (:meth:`OfferRepository.take`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import utcnow
from kit.identity import Principal
from kit.pagination import PageParams
from services.network.audience import audience_of
from services.network.offers.exceptions import (
    NotClaimable,
    NotEnoughLeft,
    OfferExpired,
    OfferNotFound,
)
from services.network.offers.models import Claim, OfferDetails
from services.network.offers.repository import OfferRepository
from services.network.offers.schemas import OfferCreate, OfferKind
from services.network.resources import service as resources
from services.network.resources.exceptions import ResourceNotFound
from services.network.resources.models import Kind, SharedResource
from services.network.resources.repository import ResourceRepository
from services.network.resources.schemas import ResourceCreate
from services.network.resources.service import Shared

MATCHES = 20


@dataclass(frozen=True, slots=True)
class Offer:
    shared: Shared
    details: OfferDetails


async def create(session: AsyncSession, who: Principal, data: OfferCreate) -> Offer:
    title = data.title or f"{data.item} × {data.quantity} {data.unit}"
    shared = await resources.create(
        session,
        who.organisation_id,
        ResourceCreate(
            kind=Kind(data.kind),
            title=title,
            body=data.body,
            language=data.language,
            tags=data.tags,
            visibility=data.visibility,
            network_ids=data.network_ids,
            pairing_id=data.pairing_id,
        ),
    )
    details = await OfferRepository(session).add(
        OfferDetails(
            resource_id=shared.resource.id,
            item=data.item,
            item_key=data.item.lower(),
            quantity=data.quantity,
            remaining=data.quantity,
            unit=data.unit,
            place=data.place,
            region=data.region,
            expires_at=data.expires_at,
        )
    )
    return Offer(shared, details)


async def _with_details(session: AsyncSession, rows: list[SharedResource]) -> list[Offer]:
    details = await OfferRepository(session).details([r.id for r in rows])
    targets = await ResourceRepository(session).targets(r.id for r in rows)
    return [Offer(Shared(r, targets[r.id]), details[r.id]) for r in rows if r.id in details]


async def get(session: AsyncSession, offer_id: uuid.UUID, who: Principal) -> Offer:
    """The offer or request, if the caller may see it; else 404."""
    try:
        shared = await resources.get_visible(session, offer_id, who)
    except ResourceNotFound:
        raise OfferNotFound(f"no offer or request {offer_id}") from None
    details = (await OfferRepository(session).details([offer_id])).get(offer_id)
    if details is None:
        raise OfferNotFound(f"{offer_id} is a shared resource, not an offer or request")
    return Offer(shared, details)


async def list_visible(
    session: AsyncSession,
    who: Principal,
    params: PageParams,
    *,
    kind: OfferKind | None,
    item: str | None,
    region: str | None,
    owner_id: uuid.UUID | None = None,
) -> list[Offer]:
    audience = await audience_of(session, who.organisation_id)
    rows = await OfferRepository(session).list_visible(
        who.organisation_id,
        audience,
        params,
        kind=kind,
        item=item,
        region=region,
        owner_id=owner_id,
    )
    return await _with_details(session, list(rows))


async def matches(session: AsyncSession, offer: Offer, who: Principal) -> list[Offer]:
    """For an offer, the requests it could serve; for a request, the offers that could
    serve it: among what the caller may see, by item, the same region first."""
    wanted = OfferKind.REQUEST if offer.shared.resource.kind == OfferKind.OFFER else OfferKind.OFFER
    audience = await audience_of(session, who.organisation_id)
    rows = await OfferRepository(session).matches(
        who.organisation_id, audience, of=offer.details, kind=wanted, now=utcnow(), limit=MATCHES
    )
    return await _with_details(session, list(rows))


async def claim(
    session: AsyncSession, offer: Offer, who: Principal, quantity: int, note: str
) -> tuple[Claim, int]:
    """Claim ``quantity`` of another foundation's offer: the claim and what is left."""
    resource, details = offer.shared.resource, offer.details
    if resource.kind != OfferKind.OFFER or resource.owner_id == who.organisation_id:
        raise NotClaimable("only another foundation's offer (not a request) can be claimed")
    if details.expires_at is not None and details.expires_at <= utcnow():
        raise OfferExpired(f"the offer expired at {details.expires_at.isoformat()}")
    repo = OfferRepository(session)
    left = await repo.take(resource.id, quantity)
    if left is None:
        current = (await repo.details([resource.id]))[resource.id]
        await session.refresh(current, ["remaining"])
        raise NotEnoughLeft(
            f"{quantity} {details.unit} claimed but only {current.remaining} left; claim at "
            "most that"
        )
    made = await repo.add_claim(
        Claim(
            offer_id=resource.id,
            claimant_id=who.organisation_id,
            quantity=quantity,
            note=note,
            created_at=utcnow(),
        )
    )
    return made, left


async def claims(
    session: AsyncSession, offer: Offer, who: Principal, params: PageParams
) -> list[Claim]:
    """The offer's claims: all of them for its owner, one's own for anyone else."""
    owner = offer.shared.resource.owner_id == who.organisation_id
    rows = await OfferRepository(session).claims(
        offer.shared.resource.id, params, claimant=None if owner else who.organisation_id
    )
    return list(rows)
