"""Read copies of the network's foundation directory (name and slug), for every service
that shows foundations: kept by the ``network.foundation.*`` events, never by reading the
network service's database.

A service declares its table with :class:`FoundationCopyMixin` on its own base and writes
it with :class:`FoundationCopyRepository` from its own consumer of those events (in its
``foundations/`` package), whose payloads it reads by their contracts in
``contracts.network``: kit holds no contract.
"""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel
from sqlalchemy import String, inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import UTCDateTime
from kit.events.contracts import of
from kit.events.envelope import Event
from kit.events.inbox import Consumer
from kit.repository import dialect_insert


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


def keep_foundation_copies(
    consumer: Consumer,
    model: type[FoundationCopyMixin],
    *,
    created: type[BaseModel],
    updated: type[BaseModel],
) -> None:
    """Register on ``consumer`` the handlers that keep ``model`` (a service's table of
    copies) up to date from the directory's events. The service passes their contracts
    (``contracts.network.FoundationCreatedV1`` and ``FoundationUpdatedV1``): kit holds
    none. The handlers never commit: the consumer's transaction, with its inbox row, does."""
    created_type = of(created).type

    async def keep(session: AsyncSession, event: Event) -> None:
        is_created = event.type == created_type
        fields = event.parse_as(created if is_created else updated).model_dump()
        await FoundationCopyRepository(session, model).keep_newest(
            fields["foundation_id"],
            slug=fields["slug"],
            name=fields["name"],
            updated_at=fields["created_at" if is_created else "updated_at"],
        )

    consumer.on(created_type)(keep)
    consumer.on(of(updated).type)(keep)
