"""The outbox relay: publishes a service's pending outbox rows to the bus.

Each pass claims up to ``batch_size`` due rows in creation order and publishes them one by
one, marking each published, all in one transaction. On PostgreSQL the claim is
``SELECT ... FOR UPDATE SKIP LOCKED``, so relays of several replicas share the backlog and
never publish one row twice; on SQLite the write transaction (``BEGIN IMMEDIATE``) does
the same for the one process that owns the file.

A row that fails to publish is retried with exponential backoff (``attempts``,
``next_attempt_at``, ``last_error``), and the pass stops there so that what follows it is not
published before it. A relay that dies after publishing but before committing leaves its
rows to be published again: the bus drops the repeat (``Nats-Msg-Id``), and consumers'
inboxes cover the rest. Order is creation order for one relay; with several relays each
batch is in order but batches interleave.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import random

from sqlalchemy import select

from kit.db import Database, transaction, utcnow
from kit.events.bus import Bus
from kit.events.outbox import outbox, row_to_event

logger = logging.getLogger("fnet.events.relay")


def backoff(attempts: int, *, base: float = 0.5, cap: float = 60.0) -> float:
    """Seconds to wait after the ``attempts``-th failure: exponential, capped, jittered."""
    delay: float = min(cap, base * 2 ** max(0, attempts - 1))
    return delay * random.uniform(0.75, 1.0)


class OutboxRelay:
    def __init__(
        self,
        database: Database,
        bus: Bus,
        *,
        batch_size: int = 100,
        poll_interval: float = 1.0,
        backoff_base: float = 0.5,
        backoff_cap: float = 60.0,
    ) -> None:
        self.database = database
        self.bus = bus
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.published = 0
        self.failures = 0
        self._task: asyncio.Task[None] | None = None

    async def publish_pending(self) -> tuple[int, float | None]:
        """One pass. Returns how many rows it published, and, if a publish failed, how long
        to wait before the next pass."""
        published: list[int] = []
        async with transaction(self.database, write=True) as session:
            now = utcnow()
            rows = (
                await session.execute(
                    select(outbox)
                    .where(outbox.c.published_at.is_(None), outbox.c.next_attempt_at <= now)
                    .order_by(outbox.c.seq)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            retry_in: float | None = None
            for row in rows:
                try:
                    await self.bus.publish(row_to_event(row))
                except Exception as exc:
                    attempts = row.attempts + 1
                    retry_in = backoff(attempts, base=self.backoff_base, cap=self.backoff_cap)
                    await session.execute(
                        outbox.update()
                        .where(outbox.c.seq == row.seq)
                        .values(
                            attempts=attempts,
                            next_attempt_at=utcnow() + dt.timedelta(seconds=retry_in),
                            last_error=f"{type(exc).__name__}: {exc}"[:2000],
                        )
                    )
                    self.failures += 1
                    logger.warning(
                        "publishing event %s failed (attempt %d); retry in %.1fs",
                        row.id,
                        attempts,
                        retry_in,
                        exc_info=exc,
                    )
                    # Later rows wait for this one: the stream keeps creation order.
                    break
                published.append(row.seq)
            if published:
                # One statement for the whole batch, not one per event.
                await session.execute(
                    outbox.update()
                    .where(outbox.c.seq.in_(published))
                    .values(published_at=utcnow(), attempts=outbox.c.attempts + 1, last_error=None)
                )
        self.published += len(published)
        return len(published), retry_in

    async def run(self) -> None:
        """Publish for ever: at once after a commit that emitted, else every
        ``poll_interval`` seconds (for other processes' rows and retries)."""
        signal = self.database.outbox_signal
        while True:
            signal.clear()
            try:
                published, retry_in = await self.publish_pending()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database is away: wait and try again; nothing is lost.
                logger.warning("outbox relay pass failed", exc_info=True)
                published, retry_in = 0, self.poll_interval
            if retry_in is not None:
                await asyncio.sleep(retry_in)
            elif published < self.batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(signal.wait(), self.poll_interval)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
