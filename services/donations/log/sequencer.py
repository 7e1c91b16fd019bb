"""The sequencer: integrates queued journal entries into their foundations' logs.

Recording an entry only queues it (one row, in the entry's own transaction). The sequencer
takes the oldest queued entries in batches and, in one transaction per batch, gives each a
leaf index in its foundation's log, stores the leaf hashes and every perfect subtree they
complete, adds their lines to the foundation's running totals, signs each changed
foundation's new tree head, runs the layers above it's :class:`IntegrationStep` (receipt
numbers, the unique-donor tallies) and deletes the queue rows. A batch
either happens whole or not at all, so a sequencer killed mid-batch loses and doubles
nothing: the next one finds the same rows queued.

Exactly one batch runs at a time per database, however many processes run a sequencer: on
PostgreSQL each batch takes a transaction-level advisory lock (a candidate that does not
get it waits for its next turn; when the holder dies its lock goes with its connection); on
SQLite the write lock taken at ``BEGIN IMMEDIATE`` serialises them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import Database, transaction, utcnow
from services.donations.ledger.leaf import entry_document, leaf_bytes
from services.donations.ledger.models import JournalEntry
from services.donations.ledger.repository import LedgerRepository, TotalKey, Totals, add_lines
from services.donations.log import merkle
from services.donations.log.encoding import head_message
from services.donations.log.models import LogKey, TreeHead
from services.donations.log.repository import LogRepository
from services.donations.log.signing import HeadSigner

logger = logging.getLogger("fnet.donations.log")

# pg_try_advisory_xact_lock's key: any constant that no other lock of this database uses.
SEQUENCER_LOCK = 0x666E65746C6F67  # "fnetlog"


class IntegrationStep(Protocol):
    """Work of a layer above the log that belongs to the moment entries enter it: done in
    the batch's transaction with the batch's entries in log order (each foundation's in its
    leaf order), so it happens exactly once per entry, in the order the log gives them,
    with no lock a request would wait on (one sequencer runs at a time)."""

    async def __call__(self, session: AsyncSession, entries: Sequence[JournalEntry]) -> None: ...


async def _elected(session: AsyncSession) -> bool:
    if session.get_bind().dialect.name != "postgresql":
        return True
    acquired = await session.execute(
        text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": SEQUENCER_LOCK}
    )
    return bool(acquired.scalar_one())


async def integrate(
    session: AsyncSession,
    signer: HeadSigner,
    *,
    steps: Sequence[IntegrationStep],
    limit: int = 1000,
    elected: bool = False,
) -> int:
    """Integrate up to ``limit`` queued entries in the session's transaction, then run
    ``steps`` on them; answers how many. Answers 0 without reading the queue if another
    sequencer holds the turn (unless the caller holds it already: ``elected``)."""
    if not elected and not await _elected(session):
        return 0
    repo = LogRepository(session)
    queued = await repo.queued(limit)
    if not queued:
        return 0
    by_foundation: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for row in queued:
        by_foundation[row.foundation_id].append(row.entry_id)
    entries, lines = await repo.entries([row.entry_id for row in queued])
    now = utcnow()
    await repo.register_key(
        LogKey(key_id=signer.key_id, public_key=signer.public_key, first_used_at=now)
    )
    # Every foundation of the batch at once: a constant number of statements per batch,
    # however many foundations' entries it holds.
    sizes = dict.fromkeys(by_foundation, 0) | await repo.log_sizes(list(by_foundation))
    known = await repo.nodes_of({f: merkle.frontier(size) for f, size in sizes.items() if size})
    sums: dict[uuid.UUID, dict[TotalKey, Totals]] = {}
    leaves: dict[uuid.UUID, Sequence[uuid.UUID]] = {}
    new_nodes: dict[uuid.UUID, dict[merkle.Node, bytes]] = {}
    heads = []
    for foundation_id, entry_ids in by_foundation.items():
        hashes = []
        sums[foundation_id] = defaultdict(Totals)
        for entry_id in entry_ids:
            entry = entries[entry_id]
            hashes.append(merkle.leaf_hash(leaf_bytes(entry_document(entry, lines[entry_id]))))
            add_lines(sums[foundation_id], entry.kind, lines[entry_id])
        size = sizes[foundation_id]
        frontier = known.get(foundation_id, {})
        new = merkle.completed_nodes(size, hashes, frontier)
        leaves[foundation_id], new_nodes[foundation_id] = entry_ids, new
        size += len(hashes)
        root = merkle.range_hash(0, size, {**frontier, **new})
        heads.append(
            TreeHead(
                foundation_id=foundation_id,
                size=size,
                root_hash=root,
                issued_at=now,
                key_id=signer.key_id,
                signature=signer.sign(head_message(foundation_id, size, root, now)),
            )
        )
    # The running totals move with the heads, in their transaction: a report read in one
    # statement with a head counts exactly the entries the head holds.
    await LedgerRepository(session).add_totals(sums)
    await repo.add_leaves(sizes, leaves)
    await repo.add_nodes(new_nodes)
    await repo.add_heads(heads)
    in_log_order = [entries[row.entry_id] for row in queued]
    for step in steps:
        await step(session, in_log_order)
    await repo.dequeue([row.id for row in queued])
    return len(queued)


async def integrate_everything(
    session: AsyncSession, signer: HeadSigner, *, steps: Sequence[IntegrationStep]
) -> int:
    """Integrate every queued entry now, in the caller's transaction, waiting for a batch
    that another sequencer is running (a disclosure freezes the head its report is as
    of). The caller holds off new postings of what it reports on (the ledger's head), so
    every entry its report counts is in the head this leaves. Answers how many it took."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEQUENCER_LOCK})
    total = 0
    while count := await integrate(session, signer, steps=steps, limit=10_000, elected=True):
        total += count
    return total


class Sequencer:
    """Runs :func:`integrate` until stopped: a batch after another while the queue is
    full, else a look every ``interval`` seconds.

    The look is a read: a write transaction is opened only when entries wait (on SQLite a
    write transaction takes the database's write lock, which requests would otherwise
    queue behind ten times a second). Stopping lets a pass in progress finish, so that no
    transaction is cut off while it holds a lock."""

    STOP_WAIT_SECONDS = 10.0

    def __init__(
        self,
        database: Database,
        signer: HeadSigner,
        *,
        steps: Sequence[IntegrationStep],
        interval: float = 0.1,
        batch: int = 1000,
    ) -> None:
        self.database = database
        self.signer = signer
        self.steps = steps
        self.interval = interval
        self.batch = batch
        self.integrated = 0
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def waiting(self) -> bool:
        async with transaction(self.database, write=False) as session:
            return await LogRepository(session).any_queued()

    async def run_once(self) -> int:
        if not await self.waiting():
            return 0
        async with transaction(self.database, write=True) as session:
            count = await integrate(session, self.signer, steps=self.steps, limit=self.batch)
        self.integrated += count
        return count

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                count = await self.run_once()
            except Exception:
                # The database is away: nothing was integrated, nothing is lost; try again.
                logger.warning("log sequencer pass failed", exc_info=True)
                count = 0
            if count < self.batch:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.interval)

    async def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self.run(), name="log-sequencer")

    async def stop(self) -> None:
        if self._task is None:
            return
        self._stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), self.STOP_WAIT_SECONDS)
        except TimeoutError:
            # A batch that will not finish (the database is away): cut it off; its
            # transaction dies with it and nothing of it is kept.
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
