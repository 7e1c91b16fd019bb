"""Writing and reading the audit log. Never commits: the caller's session does, so an
entry about a change is written with the change (a key made, a session revoked) or not at
all. Events seen on the proxy path (a key used, a refusal) go through
:class:`AuditWriter`, which writes them in the background and in batches."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.audit.models import AuditEntry
from kit.db import Database, transaction, utcnow
from kit.ids import new_id

logger = logging.getLogger("fnet.gateway.audit")


def entry(
    action: str,
    *,
    actor: str,
    organisation_id: uuid.UUID | None = None,
    target: str | None = None,
    client_ip: str | None = None,
    details: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "created_at": at or utcnow(),
        "action": action,
        "actor": actor[:300],
        "organisation_id": organisation_id,
        "target": target[:300] if target else None,
        "client_ip": client_ip,
        "details": details or {},
    }


async def record(session: AsyncSession, action: str, **fields: Any) -> None:
    """Add an entry in the caller's transaction (see :func:`entry` for the fields)."""
    await session.execute(insert(AuditEntry), [entry(action, **fields)])


async def read(
    session: AsyncSession,
    *,
    organisation_id: uuid.UUID | None,
    action: str | None = None,
    before: dt.datetime | None = None,
    limit: int = 50,
) -> Sequence[AuditEntry]:
    """Newest first; of one organisation, or of all (``organisation_id`` None)."""
    stmt = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if organisation_id is not None:
        stmt = stmt.where(AuditEntry.organisation_id == organisation_id)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    if before is not None:
        stmt = stmt.where(AuditEntry.created_at < before)
    return (await session.execute(stmt.limit(limit))).scalars().all()


class AuditWriter:
    """Entries from the proxy path, written by one background task in batches: a request
    never waits for the audit log. Bounded: past ``max_pending`` entries (a database that
    does not keep up) new ones are dropped and counted, never the request."""

    def __init__(self, *, max_pending: int = 10_000, interval: float = 1.0) -> None:
        self.database: Database | None = None
        self._pending: list[dict[str, Any]] = []
        self._max_pending = max_pending
        self._interval = interval
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self.dropped = 0

    def add(self, action: str, **fields: Any) -> None:
        if len(self._pending) >= self._max_pending:
            self.dropped += 1
            return
        self._pending.append(entry(action, **fields))
        if len(self._pending) >= 100:
            self._wake.set()

    def start(self, database: Database) -> None:
        self.database = database
        self._task = asyncio.create_task(self._run(), name="gateway:audit")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await self.flush()

    async def flush(self) -> None:
        """Write what is pending now (also before the log is read, so a reader sees it)."""
        async with self._lock:
            batch, self._pending = self._pending, []
            if not batch or self.database is None:
                return
            try:
                async with transaction(self.database, write=True) as session:
                    await session.execute(insert(AuditEntry), batch)
            except Exception:
                logger.warning("cannot write %d audit entries; retrying", len(batch), exc_info=True)
                self._pending[:0] = batch[: self._max_pending]
                raise

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            with contextlib.suppress(Exception):
                await self.flush()
