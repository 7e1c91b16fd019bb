from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import case, func, literal, or_, select, update

from kit.pagination import PageParams
from kit.repository import Repository
from services.network.offers.models import Claim, OfferDetails
from services.network.resources.models import SharedResource
from services.network.resources.repository import visible_to


class OfferRepository(Repository[OfferDetails]):
    model = OfferDetails

    async def details(self, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, OfferDetails]:
        if not ids:
            return {}
        rows = await self.all(select(OfferDetails).where(OfferDetails.resource_id.in_(ids)))
        return {d.resource_id: d for d in rows}

    async def list_visible(
        self,
        foundation_id: uuid.UUID,
        audience: Collection[uuid.UUID],
        params: PageParams,
        *,
        kind: str | None,
        item: str | None,
        region: str | None,
        owner_id: uuid.UUID | None = None,
    ) -> Sequence[SharedResource]:
        stmt = (
            select(SharedResource)
            .join(OfferDetails, OfferDetails.resource_id == SharedResource.id)
            .where(SharedResource.deleted_at.is_(None), visible_to(foundation_id, audience))
        )
        if kind is not None:
            stmt = stmt.where(SharedResource.kind == kind)
        if item is not None:
            stmt = stmt.where(OfferDetails.item_key.contains(item.lower(), autoescape=True))
        if region is not None:
            stmt = stmt.where(func.lower(OfferDetails.region) == region.lower())
        if owner_id is not None:
            stmt = stmt.where(SharedResource.owner_id == owner_id)
        rows: Sequence[SharedResource] = (
            (await self.session.execute(params.apply(stmt, SharedResource.id))).scalars().all()
        )
        return rows

    async def matches(
        self,
        foundation_id: uuid.UUID,
        audience: Collection[uuid.UUID],
        *,
        of: OfferDetails,
        kind: str,
        now: dt.datetime,
        limit: int,
    ) -> Sequence[SharedResource]:
        """Visible ``kind`` resources whose item contains ``of``'s item or is contained in
        it (any case), live, not expired, with something left; same region first."""
        key = of.item_key
        stmt = (
            select(SharedResource)
            .join(OfferDetails, OfferDetails.resource_id == SharedResource.id)
            .where(
                SharedResource.kind == kind,
                SharedResource.deleted_at.is_(None),
                SharedResource.id != of.resource_id,
                visible_to(foundation_id, audience),
                OfferDetails.remaining > 0,
                or_(OfferDetails.expires_at.is_(None), OfferDetails.expires_at > now),
                or_(
                    OfferDetails.item_key.contains(key, autoescape=True),
                    literal(key).contains(OfferDetails.item_key),
                ),
            )
            .order_by(
                case((func.lower(OfferDetails.region) == (of.region or "").lower(), 0), else_=1),
                SharedResource.id.desc(),
            )
            .limit(limit)
        )
        rows: Sequence[SharedResource] = (await self.session.execute(stmt)).scalars().all()
        return rows

    async def take(self, offer_id: uuid.UUID, quantity: int) -> int | None:
        """Take ``quantity`` from what is left, if that much is left: what remains after, or
        None. One conditional UPDATE: concurrent claims queue on the row and each sees the
        others' effect, so no more than the offer holds is ever handed out."""
        stmt = (
            update(OfferDetails)
            .where(OfferDetails.resource_id == offer_id, OfferDetails.remaining >= quantity)
            .values(remaining=OfferDetails.remaining - quantity)
            .returning(OfferDetails.remaining)
        )
        left = (await self.session.execute(stmt)).scalar_one_or_none()
        return None if left is None else int(left)

    async def claims(
        self, offer_id: uuid.UUID, params: PageParams, *, claimant: uuid.UUID | None
    ) -> Sequence[Claim]:
        stmt = select(Claim).where(Claim.offer_id == offer_id)
        if claimant is not None:
            stmt = stmt.where(Claim.claimant_id == claimant)
        rows: Sequence[Claim] = (
            (await self.session.execute(params.apply(stmt, Claim.id))).scalars().all()
        )
        return rows

    async def add_claim(self, claim: Claim) -> Claim:
        self.session.add(claim)
        await self.session.flush()
        return claim
