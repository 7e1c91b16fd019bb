"""The sync feed's reads. Never writes.

A page is read in one short read-only transaction: the feed's head first (its epoch and
last change number, ``upto``), then the changes numbered up to it. Changes commit in
number order (:mod:`services.network.sync.models`), so everything up to ``upto`` is
committed and visible: a cursor at ``upto`` has missed nothing. A long poll holds no
transaction and no connection while it waits.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import Database, transaction
from services.network.audience import audience_of
from services.network.resources.repository import ResourceRepository
from services.network.resources.schemas import read
from services.network.sync.cursor import Cursor, Position
from services.network.sync.exceptions import ResyncRequired
from services.network.sync.notify import FeedSignal, wait
from services.network.sync.repository import FeedRepository
from services.network.sync.schemas import Change, ChangesPage, Operation, RemoveReason


async def _read(
    session: AsyncSession, foundation_id: uuid.UUID, since: Cursor | None, limit: int
) -> ChangesPage:
    repo = FeedRepository(session)
    head = await repo.head()
    position = None
    if since is not None:
        if since.epoch != head.epoch:
            raise ResyncRequired(
                "this cursor belongs to another epoch of the feed (the database was restored or "
                "rebuilt); start a full resync by calling without since"
            )
        if since.position.seq > head.last_seq:
            raise ResyncRequired("this cursor is ahead of the feed; start a full resync")
        if since.position.seq < head.min_seq:
            raise ResyncRequired(
                "this cursor is older than the feed keeps; start a full resync by calling "
                "without since"
            )
        position = since.position
    audience = await audience_of(session, foundation_id)
    if position is None:
        # A full resync begins: what it delivers is the state as of this head onwards.
        page = await repo.page(foundation_id, audience, None, head.last_seq, limit)
        if page.more and page.end is not None:
            page = replace(page, end=replace(page.end, floor=head.last_seq))
    else:
        page = await repo.page(foundation_id, audience, position, head.last_seq, limit)
    rows = page.rows
    found = await repo.resources([r.resource_id for r in rows])
    targets = await ResourceRepository(session).targets(found)
    changes: list[Change] = []
    for row in rows:
        resource = found[row.resource_id]
        its_targets = targets[resource.id]
        sees = resource.owner_id == foundation_id or not audience.isdisjoint(its_targets)
        if not sees:
            changes.append(
                Change(
                    id=resource.id,
                    op=Operation.REMOVE,
                    reason=RemoveReason.ACCESS_LOST,
                    version=None,
                    resource=None,
                )
            )
        elif resource.deleted_at is not None:
            changes.append(
                Change(
                    id=resource.id,
                    op=Operation.REMOVE,
                    reason=RemoveReason.DELETED,
                    version=resource.version,
                    resource=None,
                )
            )
        else:
            changes.append(
                Change(
                    id=resource.id,
                    op=Operation.UPSERT,
                    reason=None,
                    version=resource.version,
                    resource=read(resource, its_targets),
                )
            )
    end = page.end if page.more and page.end is not None else Position(head.last_seq)
    return ChangesPage(
        changes=changes,
        cursor=Cursor(head.epoch, end).encode(),
        more=page.more,
        resync=since is None,
    )


async def _read_once(
    database: Database, foundation_id: uuid.UUID, cursor: Cursor | None, limit: int
) -> ChangesPage:
    async with transaction(database, write=False) as session:
        return await _read(session, foundation_id, cursor, limit)


async def _shared_read(
    database: Database,
    foundation_id: uuid.UUID,
    cursor: Cursor | None,
    limit: int,
    *,
    signal: FeedSignal,
    generation: asyncio.Event,
) -> ChangesPage:
    """One read for every poll of the same caller, cursor and page size that wakes in the
    same generation of the signal (between two changes): they would all read the same."""
    key = (id(generation), foundation_id, cursor, limit)
    running = signal.reads.get(key)
    if running is None:
        running = signal.reads[key] = asyncio.ensure_future(
            _read_once(database, foundation_id, cursor, limit)
        )
        running.add_done_callback(lambda _: signal.reads.pop(key, None))
    return await asyncio.shield(running)


async def changes(
    database: Database,
    foundation_id: uuid.UUID,
    since: str | None,
    *,
    limit: int,
    wait_seconds: float,
    poll_seconds: float,
) -> ChangesPage:
    """The next page of changes after ``since`` (all of it, as a full resync, if None).
    With nothing new, waits up to ``wait_seconds`` for a change, reading again when this
    process commits one and every ``poll_seconds`` (changes committed by other replicas)."""
    cursor = Cursor.decode(since) if since else None
    signal = FeedSignal.of(database)
    deadline = time.monotonic() + wait_seconds
    while True:
        # Taken before the read: a change committed during it still wakes the wait below.
        changed = signal.current()
        page = await _shared_read(
            database, foundation_id, cursor, limit, signal=signal, generation=changed
        )
        remaining = deadline - time.monotonic()
        if page.changes or remaining <= 0:
            return page
        # With a watcher, only a change anywhere wakes this poll; else it reads again now
        # and then, for changes of other processes.
        await wait(changed, remaining if signal.watched else min(remaining, poll_seconds))
