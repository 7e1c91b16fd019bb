"""When each key was last used, written cheaply: the proxy path only notes the key in
memory; a background task writes ``last_used_at`` at most once a minute per key (per
gateway process), and records a ``key.used`` audit entry for the first use in an hour."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
import uuid
from dataclasses import dataclass

from sqlalchemy import select, update

from gateway.audit import service as audit
from gateway.keys.models import ApiKey
from kit.db import Database, transaction, utcnow

logger = logging.getLogger("fnet.gateway.keys.usage")

WRITE_EVERY_SECONDS = 60.0
AUDIT_EVERY = dt.timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class _Use:
    key_id: uuid.UUID
    organisation_id: uuid.UUID
    subject: str
    client_ip: str | None
    at: dt.datetime


class KeyUsage:
    def __init__(self, *, interval: float = 5.0, max_tracked: int = 100_000) -> None:
        self.database: Database | None = None
        self._written: dict[uuid.UUID, float] = {}
        self._pending: dict[uuid.UUID, _Use] = {}
        self._interval = interval
        self._max_tracked = max_tracked
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def touch(
        self, key_id: uuid.UUID, organisation_id: uuid.UUID, subject: str, client_ip: str | None
    ) -> None:
        """Note a use; cheap, no I/O."""
        now = time.monotonic()
        if now - self._written.get(key_id, -WRITE_EVERY_SECONDS) < WRITE_EVERY_SECONDS:
            return
        if len(self._written) >= self._max_tracked:
            self._written.clear()
        self._written[key_id] = now
        self._pending[key_id] = _Use(key_id, organisation_id, subject, client_ip, utcnow())

    def start(self, database: Database, *, background: bool = True) -> None:
        self.database = database
        if background:
            self._task = asyncio.create_task(self._run(), name="gateway:key-usage")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(Exception):
            await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            pending, self._pending = self._pending, {}
            if not pending or self.database is None:
                return
            async with transaction(self.database, write=True) as session:
                rows = await session.execute(
                    select(ApiKey.id, ApiKey.prefix, ApiKey.last_used_at).where(
                        ApiKey.id.in_(list(pending))
                    )
                )
                for key_id, prefix, last_used in rows.all():
                    use = pending[key_id]
                    if last_used is None or use.at - last_used >= AUDIT_EVERY:
                        await audit.record(
                            session,
                            "key.used",
                            actor=use.subject,
                            organisation_id=use.organisation_id,
                            target=f"key:{prefix}",
                            client_ip=use.client_ip,
                            details={"first_use": last_used is None},
                            at=use.at,
                        )
                    await session.execute(
                        update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=use.at)
                    )

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.flush()
            except Exception:
                logger.warning("cannot record keys' last use", exc_info=True)
