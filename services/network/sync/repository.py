"""The feed's reads: one page of the changes a foundation may see."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select, union_all
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
    ) -> Sequence[Row]:
        """Up to ``limit`` resources with a change the caller should hear of after
        ``since`` and up to ``upto``, each once, at its latest such change, in feed order
        (number, then resource id).

        A resource is here if (1) it changed and the caller may see it; (2) the caller
        joined or left an audience it is shared with; (3) it stopped being shared with an
        audience the caller is in, or left since. Without ``since`` (a full resync) only
        (1), and no tombstones: the client starts from nothing.
        """
        low = since.seq if since is not None else 0
        changed = select(SharedResource.id.label("rid"), SharedResource.seq.label("eseq")).where(
            SharedResource.seq >= low,
            SharedResource.seq <= upto,
            visible_to(foundation_id, audience),
        )
        if since is None:
            changed = changed.where(SharedResource.deleted_at.is_(None))
            parts = [changed]
        else:
            moved = (
                (
                    await self.session.execute(
                        select(AudienceChange.target_id).where(
                            AudienceChange.foundation_id == foundation_id,
                            AudienceChange.seq >= low,
                            AudienceChange.seq <= upto,
                        )
                    )
                )
                .scalars()
                .all()
            )
            joined_or_left = (
                select(ResourceAudience.resource_id.label("rid"), AudienceChange.seq.label("eseq"))
                .join(AudienceChange, AudienceChange.target_id == ResourceAudience.target_id)
                .where(
                    AudienceChange.foundation_id == foundation_id,
                    AudienceChange.seq >= low,
                    AudienceChange.seq <= upto,
                )
            )
            lost = select(
                ResourceLoss.resource_id.label("rid"), ResourceLoss.seq.label("eseq")
            ).where(
                ResourceLoss.seq >= low,
                ResourceLoss.seq <= upto,
                ResourceLoss.target_id.in_([*audience, *moved]),
            )
            parts = [changed, joined_or_left, lost]
        every = union_all(*parts).subquery()
        latest = func.max(every.c.eseq).label("eseq")
        stmt = select(every.c.rid, latest).group_by(every.c.rid)
        if since is not None:
            stmt = stmt.having(
                or_(latest > since.seq, and_(latest == since.seq, every.c.rid > since.after))
            )
        stmt = stmt.order_by(latest, every.c.rid).limit(limit)
        rows = await self.session.execute(stmt)
        return [Row(rid, int(seq)) for rid, seq in rows]

    async def resources(self, ids: Collection[uuid.UUID]) -> dict[uuid.UUID, SharedResource]:
        if not ids:
            return {}
        rows = await self.session.execute(select(SharedResource).where(SharedResource.id.in_(ids)))
        return {r.id: r for r in rows.scalars()}
