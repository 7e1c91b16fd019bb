"""All SQL of the transparency log."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import delete, func, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from kit.repository import insert_ignoring_conflicts
from services.donations.ledger.models import JournalEntry, JournalLine, LogQueue
from services.donations.log.merkle import Node
from services.donations.log.models import LogKey, LogLeaf, LogNode, TreeHead

_REGISTER_KEY = insert_ignoring_conflicts(LogKey, "key_id")
# Far below every backend's limit of bound parameters per statement.
_CHUNK = 500


class LogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # The queue

    async def queued(self, limit: int) -> Sequence[LogQueue]:
        """The oldest queued entries, in the order they were queued."""
        stmt = select(LogQueue).order_by(LogQueue.id).limit(limit)
        return (await self.session.execute(stmt)).scalars().all()

    async def dequeue(self, ids: Collection[int]) -> None:
        await self.session.execute(delete(LogQueue).where(LogQueue.id.in_(list(ids))))

    async def queued_for(self, foundation_id: uuid.UUID) -> int:
        """How many of the foundation's entries wait for the sequencer."""
        stmt = select(func.count()).where(LogQueue.foundation_id == foundation_id)
        return int((await self.session.execute(stmt)).scalar_one())

    async def any_queued(self) -> bool:
        """Whether anything waits (one index lookup, however long the queue)."""
        return (await self.session.execute(select(LogQueue.id).limit(1))).first() is not None

    async def backlog(self) -> int:
        return (await self.session.execute(select(func.count()).select_from(LogQueue))).scalar_one()

    # What the leaves are

    async def entries(
        self, entry_ids: Sequence[uuid.UUID]
    ) -> tuple[dict[uuid.UUID, JournalEntry], dict[uuid.UUID, list[JournalLine]]]:
        entries: dict[uuid.UUID, JournalEntry] = {}
        lines: dict[uuid.UUID, list[JournalLine]] = {e: [] for e in entry_ids}
        for start in range(0, len(entry_ids), _CHUNK):
            chunk = list(entry_ids[start : start + _CHUNK])
            found = await self.session.execute(
                select(JournalEntry).where(JournalEntry.id.in_(chunk))
            )
            entries.update((e.id, e) for e in found.scalars())
            rows = await self.session.execute(
                select(JournalLine)
                .where(JournalLine.entry_id.in_(chunk))
                .order_by(JournalLine.entry_id, JournalLine.position)
            )
            for line in rows.scalars():
                lines[line.entry_id].append(line)
        return entries, lines

    async def leaf(self, foundation_id: uuid.UUID, index: int) -> LogLeaf | None:
        return await self.session.get(LogLeaf, (foundation_id, index))

    async def seq_of_entry(self, entry_id: uuid.UUID) -> int | None:
        """The entry's index in its foundation's log, or None while it is queued."""
        stmt = select(LogLeaf.index).where(LogLeaf.entry_id == entry_id)
        index: int | None = (await self.session.execute(stmt)).scalar_one_or_none()
        return index

    async def add_leaves(
        self,
        sizes: Mapping[uuid.UUID, int],
        entry_ids: Mapping[uuid.UUID, Sequence[uuid.UUID]],
    ) -> None:
        """Append each foundation's entries to its log of ``sizes[foundation]`` leaves."""
        rows = [
            {"foundation_id": foundation_id, "index": sizes[foundation_id] + n, "entry_id": e}
            for foundation_id, entries in entry_ids.items()
            for n, e in enumerate(entries)
        ]
        if rows:
            await self.session.execute(insert(LogLeaf), rows)

    # The tree

    async def nodes(self, foundation_id: uuid.UUID, wanted: Collection[Node]) -> dict[Node, bytes]:
        found: dict[Node, bytes] = {}
        wanted = list(wanted)
        for start in range(0, len(wanted), _CHUNK):
            rows = await self.session.execute(
                select(LogNode.level, LogNode.index, LogNode.hash).where(
                    LogNode.foundation_id == foundation_id,
                    tuple_(LogNode.level, LogNode.index).in_(wanted[start : start + _CHUNK]),
                )
            )
            found.update(((level, index), hash_) for level, index, hash_ in rows)
        return found

    async def nodes_of(
        self, wanted: Mapping[uuid.UUID, Collection[Node]]
    ) -> dict[uuid.UUID, dict[Node, bytes]]:
        """Several foundations' stored nodes, by foundation: one read per 500 nodes."""
        keys = [(f, level, index) for f, nodes in wanted.items() for level, index in nodes]
        found: dict[uuid.UUID, dict[Node, bytes]] = {f: {} for f in wanted}
        for start in range(0, len(keys), _CHUNK):
            rows = await self.session.execute(
                select(LogNode.foundation_id, LogNode.level, LogNode.index, LogNode.hash).where(
                    tuple_(LogNode.foundation_id, LogNode.level, LogNode.index).in_(
                        keys[start : start + _CHUNK]
                    )
                )
            )
            for foundation_id, level, index, hash_ in rows:
                found[foundation_id][(level, index)] = hash_
        return found

    async def add_nodes(self, nodes: Mapping[uuid.UUID, Mapping[Node, bytes]]) -> None:
        rows = [
            {"foundation_id": foundation_id, "level": level, "index": index, "hash": hash_}
            for foundation_id, of_foundation in nodes.items()
            for (level, index), hash_ in of_foundation.items()
        ]
        if rows:
            await self.session.execute(insert(LogNode), rows)

    # Heads and keys

    async def latest_head(self, foundation_id: uuid.UUID) -> TreeHead | None:
        stmt = (
            select(TreeHead)
            .where(TreeHead.foundation_id == foundation_id)
            .order_by(TreeHead.size.desc())
            .limit(1)
        )
        return (await self.session.execute(stmt)).scalars().one_or_none()

    async def head(self, foundation_id: uuid.UUID, size: int) -> TreeHead | None:
        return await self.session.get(TreeHead, (foundation_id, size))

    async def heads(
        self, foundation_id: uuid.UUID, *, below: int | None, limit: int
    ) -> Sequence[TreeHead]:
        """Newest first; ``below`` continues from a page that ended at that size."""
        stmt = select(TreeHead).where(TreeHead.foundation_id == foundation_id)
        if below is not None:
            stmt = stmt.where(TreeHead.size < below)
        stmt = stmt.order_by(TreeHead.size.desc()).limit(limit)
        return (await self.session.execute(stmt)).scalars().all()

    async def log_sizes(self, foundation_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        """The size of each foundation's latest head; a foundation without one is left out."""
        sizes: dict[uuid.UUID, int] = {}
        for start in range(0, len(foundation_ids), _CHUNK):
            stmt = (
                select(TreeHead.foundation_id, func.max(TreeHead.size))
                .where(TreeHead.foundation_id.in_(foundation_ids[start : start + _CHUNK]))
                .group_by(TreeHead.foundation_id)
            )
            sizes.update((f, int(size)) for f, size in await self.session.execute(stmt))
        return sizes

    async def add_heads(self, heads: Sequence[TreeHead]) -> None:
        # Flushed at once: the same transaction may read the latest heads next (sessions do
        # not autoflush).
        self.session.add_all(heads)
        await self.session.flush()

    async def register_key(self, key: LogKey) -> None:
        await self.session.execute(
            _REGISTER_KEY.of(self.session),
            {
                "key_id": key.key_id,
                "public_key": key.public_key,
                "first_used_at": key.first_used_at,
            },
        )

    async def keys(self) -> Sequence[LogKey]:
        stmt = select(LogKey).order_by(LogKey.first_used_at)
        return (await self.session.execute(stmt)).scalars().all()
