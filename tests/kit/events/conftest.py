"""Fixtures for the event machinery: a fresh database per test (the outbox and inbox of a
shared one would mix tests), and both buses: in-memory, and the real NATS JetStream server
(on a stream and subject prefix of the test's own, removed afterwards)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, String, Table, Uuid, func, select

from contracts.network import FoundationCreatedV1
from kit.db import Database, kit_metadata, make_engine, transaction
from kit.events import Event, InMemoryBus, JetStreamBus, emit, new_event
from kit.events.bus import Bus
from tests.support import create_postgres_database, drop_postgres_databases

NATS_URL = os.environ.get("FNET_TEST_NATS_URL", "nats://127.0.0.1:4222")

# What a consumer's handler does in these tests: one row per application of an event.
# No unique key on purpose: a second application would show as a second row.
effects_metadata = MetaData()
effects = Table(
    "test_effects",
    effects_metadata,
    Column("event_id", Uuid, nullable=False),
    Column("slug", String(63), nullable=False),
)


@pytest.fixture
async def database_url(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'events.db'}"
    else:
        url = await create_postgres_database("fnet_test_events")
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(kit_metadata.create_all)
            await connection.run_sync(effects_metadata.create_all)
    finally:
        await engine.dispose()
    try:
        yield url
    finally:
        if backend != "sqlite":
            await drop_postgres_databases([url])


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database.from_url(database_url, pool_size=5)
    try:
        yield db
    finally:
        await db.dispose()


@pytest.fixture
async def jetstream() -> AsyncIterator[Callable[..., Awaitable[JetStreamBus]]]:
    """Connects JetStream buses on one private stream; closes them and drops the stream."""
    suffix = secrets.token_hex(4)
    stream, prefix = f"FNET_TEST_{suffix}", f"fnettest{suffix}"
    buses: list[JetStreamBus] = []

    async def connect(**options: object) -> JetStreamBus:
        bus = await JetStreamBus.connect(NATS_URL, stream=stream, prefix=prefix, **options)  # type: ignore[arg-type]
        buses.append(bus)
        return bus

    yield connect
    for bus in buses:
        await bus.close()
    cleaner = await JetStreamBus.connect(NATS_URL, stream=stream, prefix=prefix)
    try:
        await cleaner.js.delete_stream(stream)
    finally:
        await cleaner.close()


@pytest.fixture(params=["memory", "jetstream"])
async def bus(
    request: pytest.FixtureRequest, jetstream: Callable[..., Awaitable[JetStreamBus]]
) -> AsyncIterator[Bus]:
    if request.param == "memory":
        memory = InMemoryBus()
        yield memory
        await memory.close()
    else:
        yield await jetstream(ack_wait=5.0)


def foundation_created(slug: str | None = None) -> Event:
    foundation_id = uuid.uuid4()
    payload = FoundationCreatedV1(
        foundation_id=foundation_id,
        slug=slug or f"cf-{secrets.token_hex(4)}",
        name="蛇口社区基金会",
        created_at=dt.datetime.now(dt.UTC),
    )
    return new_event(payload, producer="network", foundation_id=foundation_id)


async def emit_committed(database: Database, *events: Event) -> None:
    async with transaction(database, write=True) as session:
        for event in events:
            await emit(session, event)


async def effect_counts(database: Database) -> dict[uuid.UUID, int]:
    async with transaction(database, write=False) as session:
        rows = await session.execute(
            select(effects.c.event_id, func.count()).group_by(effects.c.event_id)
        )
        return {row[0]: row[1] for row in rows.all()}


async def eventually(
    check: Callable[[], Awaitable[bool]], *, within: float = 15.0, what: str = "condition"
) -> None:
    """Wait until ``check()`` holds; fail after ``within`` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)
