"""Idempotent consumers: the inbox, dead letters, and the runner that ties them together.

A :class:`Consumer` is one service's subscription (its name is the durable consumer's
name). For each delivered event it runs the handler registered for the event's type in
one transaction together with an insert into ``inbox`` (consumer, event id): a redelivered
event finds its id there and has no second effect, so delivery is at least once and the
effect exactly once.

A handler that raises is retried, with backoff, by redelivery. After ``max_attempts`` the
event goes to ``dead_letters`` with the error and is acknowledged, so that it does not
hold up the events behind it; :meth:`Consumer.replay` runs it again once the cause is
fixed. An event whose payload breaks its contract can never succeed and is dead-lettered
at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import traceback
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import (
    JSON,
    Column,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import Database, UTCDateTime, kit_metadata, transaction, utcnow
from kit.events.bus import Bus, Delivery, RetryLater, Subscription
from kit.events.envelope import Event
from kit.events.relay import backoff
from kit.ids import new_id
from kit.repository import dialect_insert

logger = logging.getLogger("fnet.events.consumer")

inbox = Table(
    "inbox",
    kit_metadata,
    Column("consumer", String(100), primary_key=True),
    Column("event_id", Uuid, primary_key=True),
    Column("event_type", String(200), nullable=False),
    Column("processed_at", UTCDateTime, nullable=False),
)

dead_letters = Table(
    "dead_letters",
    kit_metadata,
    Column("id", Uuid, primary_key=True),
    Column("consumer", String(100), nullable=False),
    Column("event_id", Uuid, nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("event", JSON, nullable=False),
    Column("error", Text, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("failed_at", UTCDateTime, nullable=False),
    Column("replayed_at", UTCDateTime, nullable=True),
    UniqueConstraint("consumer", "event_id"),
)

EventHandler = Callable[[AsyncSession, Event], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: uuid.UUID
    consumer: str
    event: Event
    error: str
    attempts: int
    failed_at: dt.datetime
    replayed_at: dt.datetime | None


class DeadLetterNotFound(LookupError):
    pass


def _insert(session: AsyncSession, table: Table) -> Any:
    return dialect_insert(session)(table)


class Consumer:
    """One service's event consumer. Register handlers with :meth:`on`, then
    :meth:`start` it on a bus."""

    def __init__(
        self,
        name: str,
        database: Database,
        *,
        max_attempts: int = 5,
        retry_base: float = 0.5,
        retry_cap: float = 60.0,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.name = name
        self.database = database
        self.max_attempts = max_attempts
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self._handlers: dict[str, EventHandler] = {}
        self._subscription: Subscription | None = None
        # What this process did, for /metrics.
        self.consumed = 0
        self.duplicates = 0
        self.retries = 0
        self.dead_lettered = 0

    def on(self, event_type: str) -> Callable[[EventHandler], EventHandler]:
        """Decorator: run the handler for every event of ``event_type``, in the
        transaction that also records the event as processed. The handler must not
        commit."""

        def register(handler: EventHandler) -> EventHandler:
            if event_type in self._handlers:
                raise ValueError(f"{self.name} already handles {event_type}")
            self._handlers[event_type] = handler
            return handler

        return register

    @property
    def event_types(self) -> list[str]:
        return sorted(self._handlers)

    async def start(self, bus: Bus) -> None:
        if not self._handlers:
            raise ValueError(f"consumer {self.name} has no handlers")
        self._subscription = await bus.subscribe(self.name, self.event_types, self.handle)

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.stop()
            self._subscription = None

    async def handle(self, delivery: Delivery) -> None:
        """The bus handler: returns to acknowledge, raises :class:`RetryLater` to have the
        event delivered again."""
        event = delivery.event
        handler = self._handlers.get(event.type)
        if handler is None:
            return
        try:
            event.parse()
        except (ValidationError, LookupError) as exc:
            await self._dead_letter(event, exc, delivery.attempt)
            return
        try:
            applied = await self._apply(handler, event)
        except Exception as exc:
            if delivery.attempt >= self.max_attempts:
                await self._dead_letter(event, exc, delivery.attempt)
                return
            self.retries += 1
            delay = backoff(delivery.attempt, base=self.retry_base, cap=self.retry_cap)
            logger.warning(
                "%s: handling %s %s failed (attempt %d); retry in %.1fs",
                self.name,
                event.type,
                event.id,
                delivery.attempt,
                delay,
                exc_info=exc,
            )
            raise RetryLater(delay) from exc
        if applied:
            self.consumed += 1
        else:
            self.duplicates += 1

    async def _apply(self, handler: EventHandler, event: Event) -> bool:
        """Run ``handler`` with the inbox insert in one transaction; False if the event had
        been processed already."""
        async with transaction(self.database, write=True) as session:
            claimed = (
                await session.execute(
                    _insert(session, inbox)
                    .values(
                        consumer=self.name,
                        event_id=event.id,
                        event_type=event.type,
                        processed_at=utcnow(),
                    )
                    .on_conflict_do_nothing(index_elements=["consumer", "event_id"])
                    .returning(inbox.c.event_id)
                )
            ).first()
            if claimed is None:
                return False
            await handler(session, event)
            return True

    async def _dead_letter(self, event: Event, exc: BaseException, attempts: int) -> None:
        error = "".join(traceback.format_exception(exc))[-8000:]
        logger.error(
            "%s: %s %s dead-lettered after %d attempts: %s",
            self.name,
            event.type,
            event.id,
            attempts,
            exc,
        )
        async with transaction(self.database, write=True) as session:
            values = {
                "error": error,
                "attempts": attempts,
                "failed_at": utcnow(),
                "replayed_at": None,
                "event": event.model_dump(mode="json"),
            }
            await session.execute(
                _insert(session, dead_letters)
                .values(
                    id=new_id(),
                    consumer=self.name,
                    event_id=event.id,
                    event_type=event.type,
                    **values,
                )
                .on_conflict_do_update(index_elements=["consumer", "event_id"], set_=values)
            )
        self.dead_lettered += 1

    async def dead_letters(self, *, include_replayed: bool = False) -> list[DeadLetter]:
        async with transaction(self.database, write=False) as session:
            query = select(dead_letters).where(dead_letters.c.consumer == self.name)
            if not include_replayed:
                query = query.where(dead_letters.c.replayed_at.is_(None))
            rows = (await session.execute(query.order_by(dead_letters.c.failed_at))).all()
        return [_dead_letter_of(row) for row in rows]

    async def replay(self, dead_letter_id: uuid.UUID) -> bool:
        """Run a dead-lettered event's handler again. Returns True if it applied, False if
        the event had been processed meanwhile; raises what the handler raises (the dead
        letter then stays as it was)."""
        async with transaction(self.database, write=False) as session:
            row = (
                await session.execute(
                    select(dead_letters).where(
                        dead_letters.c.id == dead_letter_id,
                        dead_letters.c.consumer == self.name,
                    )
                )
            ).first()
        if row is None:
            raise DeadLetterNotFound(f"{self.name} has no dead letter {dead_letter_id}")
        letter = _dead_letter_of(row)
        handler = self._handlers.get(letter.event.type)
        if handler is None:
            raise LookupError(f"{self.name} has no handler for {letter.event.type}")
        applied = await self._apply(handler, letter.event)
        async with transaction(self.database, write=True) as session:
            await session.execute(
                dead_letters.update()
                .where(dead_letters.c.id == dead_letter_id)
                .values(replayed_at=utcnow())
            )
        return applied


def _dead_letter_of(row: Any) -> DeadLetter:
    return DeadLetter(
        id=row.id,
        consumer=row.consumer,
        event=Event.model_validate(row.event),
        error=row.error,
        attempts=row.attempts,
        failed_at=row.failed_at,
        replayed_at=row.replayed_at,
    )
