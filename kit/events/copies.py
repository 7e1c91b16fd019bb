"""Read copies of the network's foundation directory (name and slug), for every service
that shows foundations: kept by the ``network.foundation.*`` events, never by reading the
network service's database.

A service declares its table with :class:`FoundationCopyMixin` on its own base and gets
its consumer from :func:`foundation_copy_consumer`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import String, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import Database, UTCDateTime
from kit.events.contracts import FoundationCreatedV1, FoundationUpdatedV1
from kit.events.envelope import Event
from kit.events.inbox import Consumer
from kit.repository import dialect_insert

P = TypeVar("P", bound=BaseModel)


class FoundationCopyMixin:
    """A foundation's public identity as the network service last announced it."""

    foundation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63))
    name: Mapped[str] = mapped_column(String(200))
    # The directory entry's time of change: an older event never overwrites a newer copy.
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class FoundationCopyRepository:
    def __init__(self, session: AsyncSession, model: type[FoundationCopyMixin]) -> None:
        self.session = session
        self.model = model

    async def get(self, foundation_id: uuid.UUID) -> FoundationCopyMixin | None:
        return await self.session.get(self.model, foundation_id)

    async def keep_newest(
        self, foundation_id: uuid.UUID, *, slug: str, name: str, updated_at: dt.datetime
    ) -> None:
        """Insert the copy, or overwrite it if ours is older than ``updated_at``; one
        statement, so two consumers racing on one foundation cannot lose the newer."""
        insert = dialect_insert(self.session)
        table = inspect(self.model).local_table
        stmt = insert(table).values(
            foundation_id=foundation_id, slug=slug, name=name, updated_at=updated_at
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[table.c.foundation_id],
                set_={
                    "slug": stmt.excluded.slug,
                    "name": stmt.excluded.name,
                    "updated_at": stmt.excluded.updated_at,
                },
                where=table.c.updated_at < stmt.excluded.updated_at,
            )
        )


def _parsed(event: Event, model: type[P]) -> P:
    """The payload by its contract; a version this code does not know is an error (the
    event is retried, then dead-lettered, and replayed once the service knows it)."""
    payload = event.parse()
    if not isinstance(payload, model):
        raise TypeError(f"{event.type} v{event.version} is not {model.__name__}")
    return payload


def foundation_copy_consumer(
    name: str, database: Database, model: type[FoundationCopyMixin]
) -> Consumer:
    """The consumer ``name`` that keeps ``model``'s table; its handlers never commit (the
    consumer's transaction, with its inbox row, does)."""
    consumer = Consumer(name, database)

    @consumer.on("network.foundation.created")
    async def created(session: AsyncSession, event: Event) -> None:
        payload = _parsed(event, FoundationCreatedV1)
        await FoundationCopyRepository(session, model).keep_newest(
            payload.foundation_id,
            slug=payload.slug,
            name=payload.name,
            updated_at=payload.created_at,
        )

    @consumer.on("network.foundation.updated")
    async def updated(session: AsyncSession, event: Event) -> None:
        payload = _parsed(event, FoundationUpdatedV1)
        await FoundationCopyRepository(session, model).keep_newest(
            payload.foundation_id,
            slug=payload.slug,
            name=payload.name,
            updated_at=payload.updated_at,
        )

    return consumer
