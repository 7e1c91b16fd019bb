"""Keeping the read copy: the handlers of the service's event consumer. Never commit: the
consumer's transaction (with its inbox row) does."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import Database
from kit.events import Consumer, Event
from kit.events.contracts import FoundationCreatedV1, FoundationUpdatedV1
from services.partners.foundations.repository import FoundationCopyRepository

CONSUMER = "partners"

P = TypeVar("P", bound=BaseModel)


def _parsed(event: Event, model: type[P]) -> P:
    """The payload by its contract; a version this code does not know is an error (the
    event is retried, then dead-lettered, and replayed once the service knows it)."""
    payload = event.parse()
    if not isinstance(payload, model):
        raise TypeError(f"{event.type} v{event.version} is not {model.__name__}")
    return payload


async def foundation_created(session: AsyncSession, event: Event) -> None:
    payload = _parsed(event, FoundationCreatedV1)
    await FoundationCopyRepository(session).keep_newest(
        payload.foundation_id,
        slug=payload.slug,
        name=payload.name,
        updated_at=payload.created_at,
    )


async def foundation_updated(session: AsyncSession, event: Event) -> None:
    payload = _parsed(event, FoundationUpdatedV1)
    await FoundationCopyRepository(session).keep_newest(
        payload.foundation_id,
        slug=payload.slug,
        name=payload.name,
        updated_at=payload.updated_at,
    )


def consumers(database: Database) -> list[Consumer]:
    """The service's consumers, on its database (called by the app's lifespan)."""
    consumer = Consumer(CONSUMER, database)
    consumer.on("network.foundation.created")(foundation_created)
    consumer.on("network.foundation.updated")(foundation_updated)
    return [consumer]
