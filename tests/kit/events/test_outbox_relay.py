"""The outbox and its relay, on SQLite and PostgreSQL, with both buses."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Sequence

import pytest
from sqlalchemy import func, select

from kit.db import Database, transaction
from kit.events import Delivery, Event, InMemoryBus, OutboxRelay, emit, emit_many
from kit.events.bus import Bus, Handler, Subscription
from kit.events.outbox import outbox
from tests.kit.events.conftest import emit_committed, eventually, foundation_created


async def outbox_rows(database: Database) -> list[dict[str, object]]:
    async with transaction(database, write=False) as session:
        rows = await session.execute(select(outbox).order_by(outbox.c.seq))
        return [dict(row._mapping) for row in rows]


class Collector:
    """A subscriber that remembers every delivery."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    async def __call__(self, delivery: Delivery) -> None:
        self.events.append(delivery.event)


class TestEmit:
    async def test_a_rolled_back_write_publishes_nothing(
        self, database: Database, bus: Bus
    ) -> None:
        collector = Collector()
        await bus.subscribe("readers", ["network.foundation.created"], collector)
        rolled_back = foundation_created()

        async def failing_change() -> None:
            async with transaction(database, write=True) as session:
                await emit(session, rolled_back)
                raise RuntimeError("the change failed after the event was written")

        with pytest.raises(RuntimeError):
            await failing_change()
        committed = foundation_created()
        await emit_committed(database, committed)
        relay = OutboxRelay(database, bus)
        while (await relay.publish_pending())[0]:
            pass

        await eventually(lambda: _has(collector, committed), what="the committed event")
        await asyncio.sleep(0.3)  # room for anything else to (wrongly) arrive
        assert [event.id for event in collector.events] == [committed.id]
        assert [row["id"] for row in await outbox_rows(database)] == [committed.id]

    async def test_a_payload_that_breaks_its_contract_is_refused_and_writes_nothing(
        self, database: Database
    ) -> None:
        good = foundation_created()
        bad = good.model_copy(update={"payload": {**good.payload, "slug": None}})

        with pytest.raises(ValueError, match="slug"):
            await emit_committed(database, bad)

        assert await outbox_rows(database) == []

    async def test_emit_many_writes_in_the_given_order(self, database: Database, bus: Bus) -> None:
        collector = Collector()
        await bus.subscribe("readers", ["network.foundation.created"], collector)
        events = [foundation_created(f"many-{i:03d}") for i in range(30)]
        database.outbox_signal.clear()
        async with transaction(database, write=True) as session:
            await emit_many(session, events)
        relay = OutboxRelay(database, bus)
        while (await relay.publish_pending())[0]:
            pass

        assert database.outbox_signal.is_set()
        rows = await outbox_rows(database)
        assert [row["id"] for row in rows] == [event.id for event in events]
        assert rows[7]["payload"] == events[7].payload
        await eventually(lambda: _count_at_least(collector, 30), what="every event")
        assert [event.id for event in collector.events] == [event.id for event in events]

    async def test_emit_many_with_one_payload_breaking_its_contract_writes_nothing(
        self, database: Database
    ) -> None:
        good = [foundation_created(f"ok-{i}") for i in range(3)]
        bad = good[1].model_copy(update={"payload": {**good[1].payload, "slug": None}})

        with pytest.raises(ValueError, match="slug"):
            async with transaction(database, write=True) as session:
                await emit_many(session, [good[0], bad, good[2]])

        assert await outbox_rows(database) == []

    async def test_a_commit_that_emitted_wakes_the_relay(self, database: Database) -> None:
        database.outbox_signal.clear()
        async with transaction(database, write=True) as session:
            await emit(session, foundation_created())
            assert not database.outbox_signal.is_set()  # not before the commit

        assert database.outbox_signal.is_set()


async def _has(collector: Collector, event: Event) -> bool:
    return any(seen.id == event.id for seen in collector.events)


class TestRelay:
    async def test_every_event_reaches_the_subscriber_once_in_order(
        self, database: Database, bus: Bus
    ) -> None:
        collector = Collector()
        await bus.subscribe("readers", ["network.foundation.*"], collector)
        events = [foundation_created(f"cf-{i:03d}") for i in range(60)]
        relay = OutboxRelay(database, bus, batch_size=25, poll_interval=30)
        relay.start()
        try:
            # Twenty transactions, committed while the relay runs: it must wake for each
            # (its poll interval is far longer than the test).
            for start in range(0, len(events), 3):
                await emit_committed(database, *events[start : start + 3])

            await eventually(lambda: _count_at_least(collector, len(events)), what="every event")
            await eventually(lambda: _all_marked_published(database), what="rows marked")
        finally:
            await relay.stop()

        await asyncio.sleep(0.3)  # room for a (wrong) second delivery to show
        assert [event.id for event in collector.events] == [event.id for event in events]
        assert collector.events[0] == events[0]
        rows = await outbox_rows(database)
        assert all(row["published_at"] is not None and row["attempts"] == 1 for row in rows)

    async def test_a_bus_that_fails_is_retried_with_backoff_and_nothing_is_lost(
        self, database: Database
    ) -> None:
        bus = FlakyBus(failures=3)
        events = [foundation_created() for _ in range(5)]
        await emit_committed(database, *events)
        relay = OutboxRelay(database, bus, backoff_base=0.01, backoff_cap=0.05)
        relay.start()
        try:
            await eventually(lambda: _count_at_least(bus, len(events)), what="every event")
            # Publishing precedes the commit that marks the rows; stopping the relay in
            # between would (rightly) leave them to be published again.
            await eventually(lambda: _all_marked_published(database), what="rows marked")
        finally:
            await relay.stop()

        assert [event.id for event in bus.events] == [event.id for event in events]
        first = (await outbox_rows(database))[0]
        assert first["attempts"] == 4
        assert first["last_error"] is None  # cleared by the publish that succeeded
        assert relay.failures == 3

    async def test_two_relays_on_one_database_publish_each_of_1000_events_once(
        self, database_url: str, database: Database
    ) -> None:
        events = [foundation_created() for _ in range(1000)]
        for start in range(0, len(events), 250):
            await emit_committed(database, *events[start : start + 250])
        bus = InMemoryBus(dedup_window=0)  # no deduplication: a double publish would show
        deliveries: Counter[uuid.UUID] = Counter()

        async def count(delivery: Delivery) -> None:
            deliveries[delivery.event.id] += 1

        await bus.subscribe("readers", ["network.>"], count)
        other_database = Database.from_url(database_url, pool_size=5)
        relays = [
            OutboxRelay(database, bus, batch_size=20),
            OutboxRelay(other_database, bus, batch_size=20),
        ]
        try:
            for relay in relays:
                relay.start()
            await eventually(
                lambda: _total_at_least(deliveries, len(events)), within=60, what="1000"
            )
            await eventually(lambda: _all_marked_published(database), what="rows marked")
            await asyncio.sleep(0.5)  # room for a (wrong) second publish to show
        finally:
            for relay in relays:
                await relay.stop()
            await bus.close()
            await other_database.dispose()

        assert set(deliveries) == {event.id for event in events}
        assert set(deliveries.values()) == {1}
        assert sum(relay.published for relay in relays) == 1000
        async with transaction(database, write=False) as session:
            unpublished = await session.scalar(
                select(func.count()).where(outbox.c.published_at.is_(None))
            )
        assert unpublished == 0


async def _count_at_least(collector: Collector | FlakyBus, n: int) -> bool:
    return len(collector.events) >= n


async def _all_marked_published(database: Database) -> bool:
    return all(row["published_at"] is not None for row in await outbox_rows(database))


async def _total_at_least(counter: Counter[uuid.UUID], n: int) -> bool:
    return sum(counter.values()) >= n


class FlakyBus:
    """A bus that is unreachable for its first ``failures`` publishes (an outage); kit's
    own buses are tested against real servers, this stands in for the network."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.events: list[Event] = []

    async def publish(self, event: Event) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("bus unreachable")
        self.events.append(event)

    async def subscribe(
        self, durable_name: str, subjects: Sequence[str], handler: Handler
    ) -> Subscription:
        raise NotImplementedError

    async def close(self) -> None:
        pass
