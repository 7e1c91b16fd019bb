from __future__ import annotations

import builtins
import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import ColumnElement, delete, exists, insert, or_, select

from kit.pagination import PageParams
from kit.repository import Repository
from services.network.resources.models import ResourceAudience, SharedResource


def visible_to(foundation_id: uuid.UUID, audience: Iterable[uuid.UUID]) -> ColumnElement[bool]:
    """Whether a shared resource (live or tombstone) is visible to a foundation whose
    audiences (the public, its networks, its active pairings) are ``audience``."""
    return or_(
        SharedResource.owner_id == foundation_id,
        exists().where(
            ResourceAudience.resource_id == SharedResource.id,
            ResourceAudience.target_id.in_(list(audience)),
        ),
    )


class ResourceRepository(Repository[SharedResource]):
    model = SharedResource

    async def get_locked(self, resource_id: uuid.UUID) -> SharedResource | None:
        return await self.one_or_none(
            select(SharedResource).where(SharedResource.id == resource_id).with_for_update()
        )

    async def visible(
        self,
        resource_id: uuid.UUID,
        foundation_id: uuid.UUID,
        audience: Iterable[uuid.UUID],
        *,
        lock: bool = False,
    ) -> SharedResource | None:
        stmt = select(SharedResource).where(
            SharedResource.id == resource_id,
            SharedResource.deleted_at.is_(None),
            visible_to(foundation_id, audience),
        )
        return await self.one_or_none(stmt.with_for_update() if lock else stmt)

    async def list_visible(
        self,
        foundation_id: uuid.UUID,
        audience: Iterable[uuid.UUID],
        params: PageParams,
        *,
        kind: str | None = None,
        owner_id: uuid.UUID | None = None,
    ) -> Sequence[SharedResource]:
        stmt = select(SharedResource).where(
            SharedResource.deleted_at.is_(None), visible_to(foundation_id, audience)
        )
        if kind is not None:
            stmt = stmt.where(SharedResource.kind == kind)
        if owner_id is not None:
            stmt = stmt.where(SharedResource.owner_id == owner_id)
        return await self.page(stmt, params)

    async def targets(
        self, resource_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, builtins.list[uuid.UUID]]:
        """Each resource's audiences."""
        ids = list(resource_ids)
        found: dict[uuid.UUID, builtins.list[uuid.UUID]] = {i: [] for i in ids}
        if not ids:
            return found
        rows = await self.session.execute(
            select(ResourceAudience.resource_id, ResourceAudience.target_id)
            .where(ResourceAudience.resource_id.in_(ids))
            .order_by(ResourceAudience.target_id)
        )
        for resource_id, target_id in rows:
            found[resource_id].append(target_id)
        return found

    async def set_targets(
        self, resource_id: uuid.UUID, remove: set[uuid.UUID], add: set[uuid.UUID]
    ) -> None:
        if remove:
            await self.session.execute(
                delete(ResourceAudience).where(
                    ResourceAudience.resource_id == resource_id,
                    ResourceAudience.target_id.in_(remove),
                )
            )
        if add:
            await self.session.execute(
                insert(ResourceAudience),
                [{"resource_id": resource_id, "target_id": t} for t in sorted(add, key=str)],
            )
