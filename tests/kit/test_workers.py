"""Background workers on a thread, an event loop and database connections of their own."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import text

from kit.db import Database, transaction
from kit.workers import Worker, WorkerThread


class Recorder:
    """A worker that notes where it runs and reads its database once a pass."""

    def __init__(self, database: Database, log: list[str]) -> None:
        self.database = database
        self.log = log
        self.passes = 0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            async with transaction(self.database, write=False) as session:
                assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
            self.passes += 1
            await asyncio.sleep(0.01)

    async def start(self) -> None:
        self.log.append(f"start {threading.current_thread().name}")
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        self.log.append(f"stop {self.passes > 0}")


class Failing:
    async def start(self) -> None:
        raise RuntimeError("no database today")

    async def stop(self) -> None:  # never started
        raise AssertionError("stopped without having started")


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'workers.db'}"


async def test_workers_run_in_their_own_thread_until_stopped(url: str) -> None:
    log: list[str] = []
    opened: list[Database] = []

    def open_database() -> Database:
        opened.append(Database.from_url(url))
        return opened[-1]

    def build(database: Database) -> Sequence[Worker]:
        return [Recorder(database, log), Recorder(database, log)]

    async with WorkerThread(build, open_database, name="fnet-test-workers"):
        await asyncio.sleep(0.2)
        # The request side's loop goes on meanwhile.
        assert threading.current_thread().name != "fnet-test-workers"

    assert log[:2] == ["start fnet-test-workers"] * 2
    # Stopped in reverse order, each after passes of its own on the thread's database.
    assert log[2:] == ["stop True", "stop True"]
    assert len(opened) == 1


async def test_a_worker_that_cannot_start_fails_the_start(url: str) -> None:
    started = Recorder(Database.from_url(url), [])

    def build(database: Database) -> Sequence[Worker]:
        started.database = database
        return [started, Failing()]

    thread = WorkerThread(build, lambda: Database.from_url(url), name="fnet-test-failing")
    with pytest.raises(RuntimeError, match="no database today"):
        await thread.start()
    # The one that had started was stopped again, and the thread has ended.
    assert started.log == ["start fnet-test-failing", f"stop {started.passes > 0}"]
    assert not any(t.name == "fnet-test-failing" for t in threading.enumerate())
    await thread.stop()  # nothing left to stop
