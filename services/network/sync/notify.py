"""Waking long polls when the feed changes.

In one process, a commit that numbered a change (:func:`services.network.sync.feed.next_seq`)
sets the database's :class:`FeedSignal`; every waiting poll wakes and reads again. Changes
committed by other replicas are noticed by one :class:`HeadWatcher` per process, which reads
the feed's head (one tiny query) every ``sync_poll_interval_seconds`` and sets the signal
when it moved: the waiting polls themselves never poll. Where no watcher runs (an app on a
test's rolled-back connection), each waiting poll reads again at that interval instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Hashable
from typing import Any

from sqlalchemy import select

from kit.db import Database, transaction
from services.network.sync.models import FeedState

logger = logging.getLogger("fnet.network.sync")

_signals: weakref.WeakKeyDictionary[Database, FeedSignal] = weakref.WeakKeyDictionary()


class FeedSignal:
    """Something changed in the feed. Take :meth:`current` *before* reading the feed, and
    wait on it if the read found nothing: a change committed between the two is not lost."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        # Set while a HeadWatcher covers changes made by other processes.
        self.watched = False
        # Reads in flight, shared by identical polls (services.network.sync.service).
        self.reads: dict[Hashable, asyncio.Future[Any]] = {}

    @classmethod
    def of(cls, database: Database) -> FeedSignal:
        found = _signals.get(database)
        if found is None:
            found = _signals[database] = cls()
        return found

    def current(self) -> asyncio.Event:
        return self._event

    def changed(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()


class HeadWatcher:
    """Notices changes other processes commit, for this process's waiting polls."""

    def __init__(self, database: Database, interval: float) -> None:
        self.database = database
        self.interval = interval
        self.signal = FeedSignal.of(database)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.signal.watched = True
        self._task = asyncio.create_task(self._run(), name="sync-head-watcher")

    async def stop(self) -> None:
        self.signal.watched = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        seen: int | None = None
        while True:
            try:
                async with transaction(self.database, write=False) as session:
                    head = (
                        await session.execute(select(FeedState.last_seq).where(FeedState.id == 1))
                    ).scalar_one()
                if seen is not None and head != seen:
                    self.signal.changed()
                seen = head
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("reading the feed's head failed; trying again")
            await asyncio.sleep(self.interval)


async def wait(event: asyncio.Event, seconds: float) -> bool:
    """Whether ``event`` was set within ``seconds``."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
