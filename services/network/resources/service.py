"""Shared-resource rules. Never commits.

Every change (create, update, delete) takes the next feed number (``seq``) and a new
``version``; an update that narrows who may see the resource records, for each audience it
left, a loss (:func:`services.network.sync.feed.resource_lost`), so that those who lost it
are told to remove their copy. A delete leaves a tombstone: the row stays, its content is
cleared, and it keeps its audiences so that the tombstone reaches everyone who had a copy.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.network import SharedResourceChangedV1
from kit.db import utcnow
from kit.errors import FieldProblem
from kit.etags import Preconditions
from kit.events import emit, new_event
from kit.identity import Principal
from kit.pagination import PageParams
from services.network.audience import audience_of
from services.network.networks.repository import MembershipRepository
from services.network.pairings.models import PairingStatus
from services.network.pairings.repository import PairingRepository
from services.network.resources.exceptions import (
    NotInNetwork,
    NotOwner,
    PairingNotUsable,
    ResourceChanged,
    ResourceNotFound,
    ResourceVersionRequired,
)
from services.network.resources.models import SharedResource, Visibility
from services.network.resources.repository import ResourceRepository
from services.network.resources.schemas import ResourceCreate, ResourceUpdate, Sharing
from services.network.sync import feed
from services.network.sync.models import PUBLIC


@dataclass(frozen=True, slots=True)
class Shared:
    """A resource with its audiences, as reads show it."""

    resource: SharedResource
    targets: list[uuid.UUID]


async def targets_for(
    session: AsyncSession, owner_id: uuid.UUID, sharing: Sharing
) -> set[uuid.UUID]:
    """The audiences ``sharing`` names, if the owner may share with them: a member of each
    network, a side of an active pairing. Else 422 naming the field."""
    if sharing.visibility == Visibility.PUBLIC:
        return {PUBLIC}
    if sharing.visibility == Visibility.NETWORKS:
        mine = set(await MembershipRepository(session).active_network_ids(owner_id))
        foreign = [n for n in sharing.network_ids if n not in mine]
        if foreign:
            raise NotInNetwork(
                "the owner is not an active member of network(s) "
                + ", ".join(str(n) for n in foreign)
                + "; share only with networks you belong to",
                errors=[
                    FieldProblem(
                        field="network_ids", message="not a network of yours", code="not-member"
                    )
                ],
            )
        return set(sharing.network_ids)
    assert sharing.pairing_id is not None
    pairing = await PairingRepository(session).get(sharing.pairing_id)
    if pairing is None or not pairing.has(owner_id) or pairing.status != PairingStatus.ACTIVE:
        raise PairingNotUsable(
            f"pairing {sharing.pairing_id} is not an active pairing of the owner",
            errors=[
                FieldProblem(
                    field="pairing_id", message="not an active pairing of yours", code="pairing"
                )
            ],
        )
    return {sharing.pairing_id}


async def _announce(
    session: AsyncSession,
    resource: SharedResource,
    change: Literal["created", "updated", "deleted"],
) -> None:
    # In the same transaction: the event exists exactly when the change does.
    await emit(
        session,
        new_event(
            SharedResourceChangedV1(
                resource_id=resource.id,
                owner_id=resource.owner_id,
                kind=resource.kind,
                version=resource.version,
                seq=resource.seq,
                change=change,
                changed_at=resource.updated_at,
            ),
            producer="network",
            foundation_id=resource.owner_id,
        ),
    )


async def create(
    session: AsyncSession,
    owner_id: uuid.UUID,
    data: ResourceCreate,
    *,
    source: str | None = None,
) -> Shared:
    targets = await targets_for(session, owner_id, data)
    repo = ResourceRepository(session)
    now = utcnow()
    resource = await repo.add(
        SharedResource(
            owner_id=owner_id,
            kind=data.kind,
            title=data.title,
            body=data.body,
            language=data.language,
            tags=list(data.tags),
            attachments=[a.model_dump(mode="json", exclude_none=True) for a in data.attachments],
            visibility=data.visibility,
            source=source,
            version=1,
            seq=await feed.next_seq(session),
            created_at=now,
            updated_at=now,
        )
    )
    await repo.set_targets(resource.id, set(), targets)
    await _announce(session, resource, "created")
    return Shared(resource, sorted(targets, key=str))


async def get_visible(
    session: AsyncSession, resource_id: uuid.UUID, who: Principal, *, lock: bool = False
) -> Shared:
    """The resource if the caller may see it (and it is not deleted); else 404."""
    audience = await audience_of(session, who.organisation_id)
    repo = ResourceRepository(session)
    resource = await repo.visible(resource_id, who.organisation_id, audience, lock=lock)
    if resource is None:
        raise ResourceNotFound(f"no shared resource {resource_id}")
    return Shared(resource, (await repo.targets([resource.id]))[resource.id])


async def list_visible(
    session: AsyncSession,
    who: Principal,
    params: PageParams,
    *,
    kind: str | None = None,
    owner_id: uuid.UUID | None = None,
) -> list[Shared]:
    audience = await audience_of(session, who.organisation_id)
    repo = ResourceRepository(session)
    rows = await repo.list_visible(
        who.organisation_id, audience, params, kind=kind, owner_id=owner_id
    )
    targets = await repo.targets(r.id for r in rows)
    return [Shared(r, targets[r.id]) for r in rows]


def _owned(shared: Shared, who: Principal, preconditions: Preconditions) -> SharedResource:
    resource = shared.resource
    if resource.owner_id != who.organisation_id:
        raise NotOwner("only the foundation that shared it may change or delete it")
    preconditions.require_version(
        resource.version,
        what="shared resource",
        changed=ResourceChanged,
        missing=ResourceVersionRequired,
    )
    return resource


async def _touch(session: AsyncSession, resource: SharedResource) -> None:
    resource.version += 1
    resource.seq = await feed.next_seq(session)
    resource.updated_at = utcnow()
    await session.flush()


async def update(
    session: AsyncSession,
    shared: Shared,
    who: Principal,
    data: ResourceUpdate,
    preconditions: Preconditions,
) -> Shared:
    resource = _owned(shared, who, preconditions)
    targets = set(shared.targets)
    sharing = data.sharing()
    if sharing is not None:
        new_targets = await targets_for(session, resource.owner_id, sharing)
        lost = targets - new_targets
        await ResourceRepository(session).set_targets(resource.id, lost, new_targets - targets)
        await feed.resource_lost(session, resource.id, lost)
        resource.visibility = sharing.visibility
        targets = new_targets
    for field in ("title", "body", "language", "tags"):
        if field in data.model_fields_set:
            setattr(resource, field, getattr(data, field))
    if data.attachments is not None:
        resource.attachments = [
            a.model_dump(mode="json", exclude_none=True) for a in data.attachments
        ]
    await _touch(session, resource)
    await _announce(session, resource, "updated")
    return Shared(resource, sorted(targets, key=str))


async def delete(
    session: AsyncSession, shared: Shared, who: Principal, preconditions: Preconditions
) -> None:
    """Leave a tombstone: content cleared, audiences kept, a new version and feed number."""
    resource = _owned(shared, who, preconditions)
    resource.title = ""
    resource.body = ""
    resource.tags = []
    resource.attachments = []
    resource.deleted_at = utcnow()
    await _touch(session, resource)
    await _announce(session, resource, "deleted")
