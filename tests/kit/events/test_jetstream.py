"""The JetStream bus against the real NATS server."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from kit.events import Delivery, JetStreamBus
from tests.kit.events.conftest import eventually, foundation_created


class TestJetStreamBus:
    async def test_one_stream_one_subject_per_type(
        self, jetstream: Callable[..., Awaitable[JetStreamBus]]
    ) -> None:
        bus = await jetstream()
        event = foundation_created()

        await bus.publish(event)

        info = await bus.js.stream_info(bus.stream)
        assert info.config.subjects == [f"{bus.prefix}.>"]
        message = await bus.js.get_last_msg(bus.stream, f"{bus.prefix}.{event.type}")
        assert message.headers is not None
        assert message.headers["Nats-Msg-Id"] == str(event.id)

    async def test_a_republished_event_is_stored_and_delivered_once(
        self, jetstream: Callable[..., Awaitable[JetStreamBus]]
    ) -> None:
        bus = await jetstream()
        event, other = foundation_created(), foundation_created()
        seen: list[Delivery] = []

        async def collect(delivery: Delivery) -> None:
            seen.append(delivery)

        await bus.subscribe("readers", ["network.foundation.created"], collect)
        for _ in range(3):
            await bus.publish(event)  # a relay that died before marking the row, twice
        await bus.publish(other)

        await eventually(lambda: _seen(seen, 2), what="both events")
        info = await bus.js.stream_info(bus.stream)
        assert info.state.messages == 2
        assert [delivery.event.id for delivery in seen] == [event.id, other.id]

    async def test_a_durable_consumer_filters_types_and_keeps_its_place(
        self, jetstream: Callable[..., Awaitable[JetStreamBus]]
    ) -> None:
        bus = await jetstream()
        seen: list[Delivery] = []

        async def collect(delivery: Delivery) -> None:
            seen.append(delivery)

        subscription = await bus.subscribe(
            "readers", ["network.foundation.created", "network.foundation.updated"], collect
        )
        first = foundation_created()
        await bus.publish(first)
        await eventually(lambda: _seen(seen, 1), what="the first event")
        await subscription.stop()

        second = foundation_created()
        await bus.publish(second)  # while the service is away
        await bus.subscribe(
            "readers", ["network.foundation.created", "network.foundation.updated"], collect
        )

        await eventually(lambda: _seen(seen, 2), what="the event published while away")
        assert [delivery.event.id for delivery in seen] == [first.id, second.id]


async def _seen(seen: list[Delivery], n: int) -> bool:
    return len(seen) >= n
