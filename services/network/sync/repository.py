"""The feed's reads: one page of the changes a foundation may see."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.network.resources.models import ResourceAudience, SharedResource
from services.network.resources.repository import visible_to
from services.network.sync.cursor import Position
from services.network.sync.models import AudienceChange, FeedState, ResourceLoss


@dataclass(frozen=True, slots=True)
class FeedHead:
    epoch: str
    last_seq: int
    min_seq: int


@dataclass(frozen=True, slots=True)
class Row:
    resource_id: uuid.UUID
    seq: int


@dataclass(frozen=True, slots=True)
class Page:
    """Rows in feed order; ``end``: the position to continue after when ``more`` (None:
    caught up to the head)."""

    rows: list[Row]
    end: Position | None
    more: bool


class FeedRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def head(self) -> FeedHead:
        row = (
            await self.session.execute(
                select(FeedState.epoch, FeedState.last_seq, FeedState.min_seq).where(
                    FeedState.id == 1
                )
            )
        ).one()
        return FeedHead(row.epoch, int(row.last_seq), int(row.min_seq))

    async def page(
        self,
        foundation_id: uuid.UUID,
        audience: Collection[uuid.UUID],
        since: Position | None,
        upto: int,
        limit: int,
    ) -> Page:
        """Up to ``limit`` resources with a change the caller should hear of after
        ``since`` and up to ``upto``, in feed order (number, then resource id).

        A resource is here if (1) it changed and the caller may see it; (2) the caller
        joined or left an audience it is shared with; (3) it stopped being shared with an
        audience the caller is in, or left since. Without ``since`` (a full resync) only
        (1), and no tombstones: the client starts from nothing; on the resync's later pages
        (``since.floor``, the head it began at), tombstones and (2), (3) only from after
        its start.

        Each part is read in feed order, at most ``limit + 1`` rows, through its index
        (so a page costs the same at the start of a large resync as at its end), and the
        parts are merged here. A resource is delivered once per page; the reader shows its
        current state, so meeting it again on a later page (another part, a later change)
        repeats that state and loses nothing.
        """
        after = since or Position(0)
        floor = after.floor
        take = limit + 1

        def later(seq: Any, rid: Any) -> ColumnElement[bool]:
            return or_(seq > after.seq, and_(seq == after.seq, rid > after.after))

        changed = select(SharedResource.id, SharedResource.seq).where(
            later(SharedResource.seq, SharedResource.id),
            SharedResource.seq <= upto,
            visible_to(foundation_id, audience),
        )
        if since is None:
            changed = changed.where(SharedResource.deleted_at.is_(None))
        elif floor:
            changed = changed.where(
                or_(SharedResource.deleted_at.is_(None), SharedResource.seq > floor)
            )
        parts = [changed.order_by(SharedResource.seq, SharedResource.id).limit(take)]
        if since is not None:
            moved = (
                (
                    await self.session.execute(
                        select(AudienceChange.target_id).where(
                            AudienceChange.foundation_id == foundation_id,
                            AudienceChange.seq >= after.seq,
                            AudienceChange.seq > floor,
                            AudienceChange.seq <= upto,
                        )
                    )
                )
                .scalars()
                .all()
            )
            if moved:
                parts.append(
                    select(ResourceAudience.resource_id, AudienceChange.seq)
                    .join(AudienceChange, AudienceChange.target_id == ResourceAudience.target_id)
                    .where(
                        AudienceChange.foundation_id == foundation_id,
                        later(AudienceChange.seq, ResourceAudience.resource_id),
                        AudienceChange.seq > floor,
                        AudienceChange.seq <= upto,
                    )
                    .order_by(AudienceChange.seq, ResourceAudience.resource_id)
                    .limit(take)
                )
            parts.append(
                select(ResourceLoss.resource_id, ResourceLoss.seq)
                .where(
                    later(ResourceLoss.seq, ResourceLoss.resource_id),
                    ResourceLoss.seq > floor,
                    ResourceLoss.seq <= upto,
                    ResourceLoss.target_id.in_([*audience, *moved]),
                )
                .order_by(ResourceLoss.seq, ResourceLoss.resource_id)
                .limit(take)
            )
        # Everything up to the first row a full part left out is known; beyond, not yet.
        bound: tuple[int, uuid.UUID] | None = None
        found: list[tuple[int, uuid.UUID]] = []
        for part in parts:
            rows = [(int(seq), rid) for rid, seq in (await self.session.execute(part)).all()]
            found += rows
            if len(rows) == take and (bound is None or rows[-1] < bound):
                bound = rows[-1]
        found.sort()
        page: list[Row] = []
        seen: set[uuid.UUID] = set()
        end: tuple[int, uuid.UUID] | None = None
        for position in found:
            if bound is not None and position >= bound:
                break
            if position[1] not in seen:
                if len(page) == limit:
                    break
                seen.add(position[1])
                page.append(Row(position[1], position[0]))
            end = position
        more = bound is not None or (len(page) == limit and end != (found[-1] if found else None))
        return Page(
            page, Position(end[0], end[1], floor) if more and end is not None else None, more
        )

    async def resources(self, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Any]:
        """The resources' rows (plain rows, not ORM objects: a page holds up to 1,000)."""
        if not ids:
            return {}
        table = SharedResource.__table__
        rows = await self.session.execute(select(table).where(table.c.id.in_(ids)))
        return {r.id: r for r in rows}
