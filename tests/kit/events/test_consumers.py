"""Idempotent consumers: the inbox, redelivery after a crash, dead letters and replay."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import Database
from kit.events import Consumer, Delivery, Event, JetStreamBus, OutboxRelay, RetryLater
from kit.events.bus import Bus
from tests.kit.events.conftest import (
    effect_counts,
    effects,
    emit_committed,
    eventually,
    foundation_created,
)

CREATED = "network.foundation.created"


async def record(session: AsyncSession, event: Event) -> None:
    await session.execute(effects.insert().values(event_id=event.id, slug=event.payload["slug"]))


async def applied_once(database: Database, *events: Event) -> bool:
    counts = await effect_counts(database)
    return all(counts.get(event.id) == 1 for event in events)


class TestInbox:
    async def test_a_redelivered_event_has_no_second_effect(self, database: Database) -> None:
        consumer = Consumer("readers", database)
        consumer.on(CREATED)(record)
        event = foundation_created()

        await consumer.handle(Delivery(event, 1))
        await consumer.handle(Delivery(event, 2))
        await asyncio.gather(*(consumer.handle(Delivery(event, 3)) for _ in range(5)))

        assert await effect_counts(database) == {event.id: 1}

    async def test_a_failed_handler_leaves_no_effect_and_no_inbox_row(
        self, database: Database
    ) -> None:
        calls = 0
        consumer = Consumer("readers", database, max_attempts=5)

        @consumer.on(CREATED)
        async def half_then_fail(session: AsyncSession, event: Event) -> None:
            nonlocal calls
            calls += 1
            await record(session, event)
            if calls == 1:
                raise RuntimeError("failed after writing")

        event = foundation_created()
        with pytest.raises(RetryLater):
            await consumer.handle(Delivery(event, 1))
        assert await effect_counts(database) == {}

        await consumer.handle(Delivery(event, 2))

        assert await effect_counts(database) == {event.id: 1}

    async def test_two_consumers_each_apply_the_event_once(self, database: Database) -> None:
        first, second = Consumer("first", database), Consumer("second", database)
        first.on(CREATED)(record)
        second.on(CREATED)(record)
        event = foundation_created()

        for consumer in (first, second, first, second):
            await consumer.handle(Delivery(event, 1))

        assert await effect_counts(database) == {event.id: 2}


class TestThroughTheBus:
    async def test_emitted_events_are_applied_exactly_once(
        self, database: Database, bus: Bus
    ) -> None:
        consumer = Consumer("readers", database)
        consumer.on(CREATED)(record)
        await consumer.start(bus)
        events = [foundation_created() for _ in range(20)]
        relay = OutboxRelay(database, bus)
        relay.start()
        try:
            await emit_committed(database, *events)
            await eventually(lambda: applied_once(database, *events), what="every event")
            # The bus delivering again (an id republished after a relay crash) changes
            # nothing either.
            for event in events[:5]:
                await consumer.handle(Delivery(event, 2))
        finally:
            await relay.stop()
            await consumer.stop()

        assert await effect_counts(database) == {event.id: 1 for event in events}

    async def test_a_handler_that_always_fails_is_dead_lettered_and_later_events_flow(
        self, database: Database, bus: Bus
    ) -> None:
        poison = foundation_created("cf-poison")
        later = [foundation_created() for _ in range(5)]
        fixed = False
        attempts = 0
        consumer = Consumer("readers", database, max_attempts=3, retry_base=0.01, retry_cap=0.05)

        @consumer.on(CREATED)
        async def fails_on_poison(session: AsyncSession, event: Event) -> None:
            nonlocal attempts
            if event.id == poison.id and not fixed:
                attempts += 1
                raise ValueError(f"cannot handle {event.payload['slug']}")
            await record(session, event)

        await consumer.start(bus)
        relay = OutboxRelay(database, bus)
        relay.start()
        try:
            await emit_committed(database, poison, *later)
            await eventually(lambda: applied_once(database, *later), what="the later events")
            await eventually(lambda: _dead_lettered(consumer, 1), what="the dead letter")
        finally:
            await relay.stop()
            await consumer.stop()

        [letter] = await consumer.dead_letters()
        assert letter.event == poison
        assert letter.attempts == 3 == attempts
        assert "ValueError: cannot handle cf-poison" in letter.error
        assert poison.id not in await effect_counts(database)

        fixed = True
        assert await consumer.replay(letter.id) is True

        assert await applied_once(database, poison, *later)
        assert await consumer.dead_letters() == []
        [replayed] = await consumer.dead_letters(include_replayed=True)
        assert replayed.replayed_at is not None
        # A second replay (or a late redelivery) applies nothing more.
        assert await consumer.replay(letter.id) is False
        await consumer.handle(Delivery(poison, 1))
        assert (await effect_counts(database))[poison.id] == 1

    async def test_an_event_that_breaks_its_contract_is_dead_lettered_at_once(
        self, database: Database
    ) -> None:
        consumer = Consumer("readers", database, max_attempts=5)
        consumer.on(CREATED)(record)
        good = foundation_created()
        broken = good.model_copy(update={"payload": {"slug": "cf-no-name"}})

        await consumer.handle(Delivery(broken, 1))

        [letter] = await consumer.dead_letters()
        assert letter.attempts == 1
        assert "name" in letter.error
        assert await effect_counts(database) == {}


async def _dead_lettered(consumer: Consumer, n: int) -> bool:
    return len(await consumer.dead_letters()) >= n


class TestCrashBeforeAck:
    async def test_an_event_applied_but_not_acknowledged_comes_back_and_is_skipped(
        self, database: Database, jetstream: Callable[..., Awaitable[JetStreamBus]]
    ) -> None:
        crashing_bus = await jetstream(ack_wait=1.0)
        event = foundation_created()

        crashed = asyncio.Event()
        first = Consumer("readers", database)

        @first.on(CREATED)
        async def apply_then_crash(session: AsyncSession, event: Event) -> None:
            await record(session, event)
            # The process loses its connection after the effect and before the ack: the
            # transaction still commits, the ack never reaches the server.
            await crashing_bus.client.close()
            crashed.set()

        await first.start(crashing_bus)
        publisher = await jetstream()
        await publisher.publish(event)
        await asyncio.wait_for(crashed.wait(), 10)
        await eventually(lambda: applied_once(database, event), what="the first effect")
        await first.stop()

        # The replacement process: same durable consumer, a handler that must not run.
        second = Consumer("readers", database)
        ran_again = 0

        @second.on(CREATED)
        async def must_not_run(session: AsyncSession, event: Event) -> None:
            nonlocal ran_again
            ran_again += 1
            await record(session, event)

        seen: list[Delivery] = []

        async def watch(delivery: Delivery) -> None:
            seen.append(delivery)
            await second.handle(delivery)

        replacement = await jetstream(ack_wait=1.0)
        await replacement.subscribe("readers", second.event_types, watch)

        await eventually(lambda: _redelivered(seen), what="the redelivery")
        await eventually(lambda: _nothing_pending(replacement), what="the ack")
        assert seen[-1].event.id == event.id
        assert seen[-1].attempt >= 2
        assert ran_again == 0
        assert await effect_counts(database) == {event.id: 1}


async def _redelivered(seen: list[Delivery]) -> bool:
    return any(delivery.attempt >= 2 for delivery in seen)


async def _nothing_pending(bus: JetStreamBus) -> bool:
    info = await bus.js.consumer_info(bus.stream, "readers")
    return info.num_ack_pending == 0 and (info.num_pending or 0) == 0
