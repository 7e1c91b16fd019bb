"""Waking long polls when the feed changes.

In one process, a commit that numbered a change (:func:`services.network.sync.feed.next_seq`)
sets the database's :class:`FeedSignal`; every waiting poll wakes and reads again. Replicas
in other processes do not see that signal, so a waiting poll also reads again every
``sync_poll_interval_seconds`` (a setting): correct everywhere, fast where it can be.
"""

from __future__ import annotations

import asyncio
import weakref

from kit.db import Database

_signals: weakref.WeakKeyDictionary[Database, FeedSignal] = weakref.WeakKeyDictionary()


class FeedSignal:
    """Something changed in the feed. Take :meth:`current` *before* reading the feed, and
    wait on it if the read found nothing: a change committed between the two is not lost."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

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


async def wait(event: asyncio.Event, seconds: float) -> bool:
    """Whether ``event`` was set within ``seconds``."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
