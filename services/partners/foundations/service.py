"""The partners service's consumer of the network's directory events: keeps its read copy
of each foundation's name and slug (see kit.events.copies)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from contracts.network import FoundationCreatedV1, FoundationUpdatedV1
from kit.db import Database
from kit.events import Consumer, Event
from kit.events.copies import FoundationCopyRepository
from services.partners.foundations.models import FoundationCopy


def consumers(database: Database) -> list[Consumer]:
    """The service's consumers, on its database (called by the app's lifespan). Their
    handlers never commit: the consumer's transaction, with its inbox row, does."""
    consumer = Consumer("partners", database)

    @consumer.on("network.foundation.created")
    async def created(session: AsyncSession, event: Event) -> None:
        payload = event.parse_as(FoundationCreatedV1)
        await FoundationCopyRepository(session, FoundationCopy).keep_newest(
            payload.foundation_id,
            slug=payload.slug,
            name=payload.name,
            updated_at=payload.created_at,
        )

    @consumer.on("network.foundation.updated")
    async def updated(session: AsyncSession, event: Event) -> None:
        payload = event.parse_as(FoundationUpdatedV1)
        await FoundationCopyRepository(session, FoundationCopy).keep_newest(
            payload.foundation_id,
            slug=payload.slug,
            name=payload.name,
            updated_at=payload.updated_at,
        )

    return [consumer]
