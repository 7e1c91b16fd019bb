"""A service's background workers, on an event loop and database connections of their own.

Requests and workers (the transparency log's sequencer) once shared the app's event loop
and connection pool. In a rush every statement of a sequencer batch then waited its turn
behind the requests' (64 clients: the loop's ready queue is long, and the pool's 20
connections are all taken), so a committed donation waited most of a second for its
signed head. In a thread of its own a worker's loop is never behind the requests': its
Python still shares the interpreter (the GIL changes hands every few milliseconds), but
its waits for the database are its own, on connections of its own.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from kit.db import Database

# Connections of a service's workers, apart from the requests' pool: the sequencer uses
# one at a time.
WORKER_POOL_SIZE = 2


class Worker(Protocol):
    """A background task of a service, run for the app's life."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class WorkerThread:
    """Builds the workers on a database it opens, in a thread with its own event loop, and
    runs them until :meth:`stop`. :meth:`start` returns once they have started (or raises
    what stopped them); :meth:`stop` stops them in reverse order, closes the database and
    waits for the thread. As an async context manager it runs them for the block."""

    def __init__(
        self,
        build: Callable[[Database], Sequence[Worker]],
        open_database: Callable[[], Database],
        *,
        name: str,
    ) -> None:
        self._build = build
        self._open_database = open_database
        self._name = name
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None

    @classmethod
    def on(
        cls,
        url: str,
        build: Callable[[Database], Sequence[Worker]],
        *,
        name: str,
        pool_timeout: float,
    ) -> WorkerThread:
        """Workers on a database of ``url`` of their own (``name`` is its connections'
        ``application_name``, and the thread's)."""
        return cls(
            build,
            lambda: Database.from_url(
                url, pool_size=WORKER_POOL_SIZE, pool_timeout=pool_timeout, application_name=name
            ),
            name=name,
        )

    async def start(self) -> None:
        started: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self._run(started)), name=self._name, daemon=True
        )
        self._thread.start()
        try:
            await asyncio.wrap_future(started)
        except BaseException:
            await asyncio.to_thread(self._thread.join)
            self._thread = None
            raise

    async def _run(self, started: concurrent.futures.Future[None]) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        database = self._open_database()
        running: list[Worker] = []
        try:
            try:
                for worker in self._build(database):
                    await worker.start()
                    running.append(worker)
            except BaseException as exc:
                started.set_exception(exc)
                return
            started.set_result(None)
            await self._stopping.wait()
        finally:
            for worker in reversed(running):
                await worker.stop()
            await database.dispose()

    async def __aenter__(self) -> WorkerThread:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        if self._thread is None:
            return
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        await asyncio.to_thread(self._thread.join)
        self._thread = None
