"""Events between services: contracts, the outbox and its relay, the bus, and idempotent
consumers. See "Events between services" in docs/development.md.

A producer, in the transaction of the change::

    await emit(session, new_event(FoundationCreatedV1(...), producer="network"))

A consumer::

    consumer = Consumer("donations", database)

    @consumer.on("network.foundation.created")
    async def keep_copy(session: AsyncSession, event: Event) -> None: ...
"""

from kit.events.bus import (
    Bus,
    Delivery,
    InMemoryBus,
    JetStreamBus,
    PublishError,
    RetryLater,
    Subscription,
)
from kit.events.contracts import export_schemas
from kit.events.envelope import Event, new_event
from kit.events.inbox import Consumer, DeadLetter, DeadLetterNotFound, dead_letters, inbox
from kit.events.outbox import emit, emit_many, outbox
from kit.events.relay import OutboxRelay

__all__ = [
    "Bus",
    "Consumer",
    "DeadLetter",
    "DeadLetterNotFound",
    "Delivery",
    "Event",
    "InMemoryBus",
    "JetStreamBus",
    "OutboxRelay",
    "PublishError",
    "RetryLater",
    "Subscription",
    "dead_letters",
    "emit",
    "emit_many",
    "export_schemas",
    "inbox",
    "new_event",
    "outbox",
]
