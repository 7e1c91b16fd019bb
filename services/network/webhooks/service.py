"""Webhook rules. Never commits.

Fan-out: every ``network.shared_resource.changed`` event (from the outbox, through the bus)
becomes one delivery per enabled endpoint that subscribes to its type and whose foundation
may see the resource, written in the consumer's transaction (so exactly once per event).
The payload is thin (id, version, kind, feed position): the receiver pulls what it may see
from the sync feed, so a webhook never carries content to a foundation that lost access.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.network import SharedResourceChangedV1
from kit.db import utcnow
from kit.errors import FieldProblem
from kit.events import Event
from kit.identity import Principal
from kit.ids import new_id
from kit.pagination import PageParams
from services.network.audience import audience_of
from services.network.resources.repository import ResourceRepository
from services.network.webhooks import targets
from services.network.webhooks.exceptions import DeliveryNotFound, EndpointNotFound, TargetRefused
from services.network.webhooks.models import Attempt, Delivery, DeliveryStatus, Endpoint
from services.network.webhooks.repository import DeliveryRepository, EndpointRepository
from services.network.webhooks.schemas import EndpointCreate


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


async def check_target(url: str, *, allow_private: bool) -> None:
    try:
        await targets.resolve(url, allow_private=allow_private)
    except targets.Refused as exc:
        raise TargetRefused(
            str(exc), errors=[FieldProblem(field="url", message=str(exc), code="refused")]
        ) from None


async def register(
    session: AsyncSession, who: Principal, data: EndpointCreate, *, allow_private: bool
) -> Endpoint:
    await check_target(data.url, allow_private=allow_private)
    return await EndpointRepository(session).add(
        Endpoint(
            owner_id=who.organisation_id,
            url=data.url,
            description=data.description,
            event_types=sorted(set(data.event_types)),
            secret=new_secret(),
            enabled=True,
            created_at=utcnow(),
        )
    )


async def get(session: AsyncSession, endpoint_id: uuid.UUID, who: Principal) -> Endpoint:
    endpoint = await EndpointRepository(session).get(endpoint_id)
    if endpoint is None or endpoint.owner_id != who.organisation_id:
        raise EndpointNotFound(f"no webhook endpoint {endpoint_id}")
    return endpoint


async def list_page(
    session: AsyncSession, who: Principal, params: PageParams
) -> Sequence[Endpoint]:
    return await EndpointRepository(session).of(who.organisation_id, params)


async def remove(session: AsyncSession, endpoint: Endpoint) -> None:
    await session.delete(endpoint)
    await session.flush()


async def deliveries(session: AsyncSession, endpoint: Endpoint, limit: int) -> Sequence[Delivery]:
    return await DeliveryRepository(session).of(endpoint.id, limit=limit)


async def delivery(
    session: AsyncSession, endpoint: Endpoint, delivery_id: str
) -> tuple[Delivery, Sequence[Attempt]]:
    repo = DeliveryRepository(session)
    found = await repo.get_str(delivery_id)
    if found is None or found.endpoint_id != endpoint.id:
        raise DeliveryNotFound(f"no delivery {delivery_id} of this endpoint")
    return found, await repo.attempts(found.id)


async def replay(session: AsyncSession, endpoint: Endpoint, delivery_id: str) -> Delivery:
    """Send the delivery again, with the same ``webhook-id``, on a fresh retry schedule."""
    found, _ = await delivery(session, endpoint, delivery_id)
    found.status = DeliveryStatus.PENDING
    found.attempts = 0
    found.next_attempt_at = utcnow()
    found.leased_until = None
    await session.flush()
    return found


async def fan_out(session: AsyncSession, event: Event) -> None:
    """The consumer's handler: one delivery per endpoint that should hear of ``event``."""
    change = SharedResourceChangedV1.model_validate(event.payload)
    event_type = f"shared_resource.{change.change}"
    endpoints = await EndpointRepository(session).subscribed(event_type)
    if not endpoints:
        return
    its_targets = set(
        (await ResourceRepository(session).targets([change.resource_id]))[change.resource_id]
    )
    now = utcnow()
    payload = {
        "type": event_type,
        "timestamp": change.changed_at.isoformat(),
        "data": {
            "id": str(change.resource_id),
            "owner_id": str(change.owner_id),
            "kind": change.kind,
            "version": change.version,
            "seq": change.seq,
        },
    }
    audiences: dict[uuid.UUID, frozenset[uuid.UUID]] = {}
    for endpoint in endpoints:
        owner = endpoint.owner_id
        if owner != change.owner_id:
            if owner not in audiences:
                audiences[owner] = await audience_of(session, owner)
            if audiences[owner].isdisjoint(its_targets):
                continue
        session.add(
            Delivery(
                id=f"msg_{new_id().hex}",
                endpoint_id=endpoint.id,
                event_type=event_type,
                payload=payload,
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
    await session.flush()
