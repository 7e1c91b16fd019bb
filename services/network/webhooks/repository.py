from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from sqlalchemy import or_, select, update

from kit.pagination import PageParams
from kit.repository import Repository
from services.network.webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint


class EndpointRepository(Repository[Endpoint]):
    model = Endpoint

    async def of(self, owner_id: uuid.UUID, params: PageParams) -> Sequence[Endpoint]:
        return await self.page(select(Endpoint).where(Endpoint.owner_id == owner_id), params)

    async def subscribed(self, event_type: str) -> Sequence[Endpoint]:
        rows = await self.all(select(Endpoint).where(Endpoint.enabled.is_(True)))
        return [e for e in rows if event_type in e.event_types]


class DeliveryRepository(Repository[Delivery]):
    model = Delivery

    async def get_str(self, delivery_id: str) -> Delivery | None:
        found: Delivery | None = await self.session.get(Delivery, delivery_id)
        return found

    async def of(self, endpoint_id: uuid.UUID, *, limit: int) -> Sequence[Delivery]:
        return await self.all(
            select(Delivery)
            .where(Delivery.endpoint_id == endpoint_id)
            .order_by(Delivery.created_at.desc(), Delivery.id.desc())
            .limit(limit)
        )

    async def lease_due(
        self, now: dt.datetime, until: dt.datetime, limit: int
    ) -> Sequence[Delivery]:
        """Take up to ``limit`` due deliveries for one sender until ``until``; on
        PostgreSQL, replicas skip each other's rows."""
        due = (
            select(Delivery.id)
            .where(
                Delivery.status == DeliveryStatus.PENDING,
                Delivery.next_attempt_at <= now,
                or_(Delivery.leased_until.is_(None), Delivery.leased_until < now),
            )
            .order_by(Delivery.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = list((await self.session.execute(due)).scalars().all())
        if not ids:
            return []
        await self.session.execute(
            update(Delivery).where(Delivery.id.in_(ids)).values(leased_until=until)
        )
        return await self.all(select(Delivery).where(Delivery.id.in_(ids)))

    async def fail_pending(self, endpoint_id: uuid.UUID) -> None:
        await self.session.execute(
            update(Delivery)
            .where(Delivery.endpoint_id == endpoint_id, Delivery.status == DeliveryStatus.PENDING)
            .values(status=DeliveryStatus.FAILED, leased_until=None)
        )

    async def attempts(self, delivery_id: str) -> Sequence[Attempt]:
        rows: Sequence[Attempt] = (
            (
                await self.session.execute(
                    select(Attempt).where(Attempt.delivery_id == delivery_id).order_by(Attempt.id)
                )
            )
            .scalars()
            .all()
        )
        return rows
