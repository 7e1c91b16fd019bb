"""The transactional outbox: events are written in the caller's transaction, so an event
exists exactly when the change that caused it was committed.

:func:`emit` (or :func:`emit_many`) inserts; :mod:`kit.events.relay` publishes. Rows are
kept after publishing (``published_at`` set), for audit and for ``fnet events status``;
pruning old published rows is an operations job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    event,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from kit.db import Database, UTCDateTime, kit_metadata, utcnow
from kit.events import contracts
from kit.events.envelope import Event

# ``seq`` orders rows by insertion (a UUIDv7 orders only within one process's clock);
# the event id is the key everyone else uses.
outbox = Table(
    "outbox",
    kit_metadata,
    Column(
        "seq",
        BigInteger().with_variant(Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    Column("id", Uuid, nullable=False, unique=True),
    Column("type", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("producer", String(63), nullable=False),
    Column("foundation_id", Uuid, nullable=True),
    Column("request_id", String(128), nullable=True),
    Column("traceparent", String(55), nullable=True),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("published_at", UTCDateTime, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=False),
    Column("last_error", Text, nullable=True),
    Index("ix_outbox_pending", "published_at", "next_attempt_at"),
)

_HOOKED = "fnet.outbox.hooked"
_INSERT = outbox.insert()


async def emit(session: AsyncSession, event: Event) -> None:
    """Write ``event`` to the outbox in ``session``'s transaction (it is published once that
    commits, and never if it rolls back). The payload must conform to its contract: a
    producer bug fails the write here rather than a consumer later."""
    # One prebuilt statement with parameters: SQLAlchemy compiles it once, not per event.
    await session.execute(_INSERT, _row(event, utcnow()))
    _wake_relay_after_commit(session)


async def emit_many(session: AsyncSession, events: Sequence[Event]) -> None:
    """:func:`emit` for several events at once, in one statement; they are published in
    the order given. Every payload is checked against its contract before anything is
    written."""
    if not events:
        return
    now = utcnow()
    rows = [_row(event, now) for event in events]
    await session.execute(_INSERT, rows)
    _wake_relay_after_commit(session)


def _row(event: Event, now: dt.datetime) -> dict[str, Any]:
    model = contracts.validate_payload(event.type, event.version, event.payload)
    return {
        "id": event.id,
        "type": event.type,
        "version": event.version,
        "producer": event.producer,
        "foundation_id": event.foundation_id,
        "request_id": event.request_id,
        "traceparent": event.traceparent,
        "occurred_at": event.occurred_at,
        "payload": model.model_dump(mode="json"),
        "created_at": now,
        "attempts": 0,
        "next_attempt_at": now,
    }


def _wake_relay_after_commit(session: AsyncSession) -> None:
    # One listener per session, for the session's life (a request's). A wake-up after a
    # transaction that was rolled back costs the relay one empty query; no harm.
    database = session.info.get("database")
    if not isinstance(database, Database) or session.info.get(_HOOKED):
        return
    session.info[_HOOKED] = True
    signal = database.outbox_signal

    def after_commit(_session: Session) -> None:
        signal.set()

    event.listen(session.sync_session, "after_commit", after_commit)


def row_to_event(row: Any) -> Event:
    return Event(
        id=row.id,
        type=row.type,
        version=row.version,
        occurred_at=row.occurred_at,
        producer=row.producer,
        foundation_id=row.foundation_id,
        request_id=row.request_id,
        traceparent=row.traceparent,
        payload=row.payload,
    )
