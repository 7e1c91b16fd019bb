"""A service's events at run time: its bus, its outbox relay and its consumers, started and
stopped by the app's lifespan (:func:`kit.app.create_service_app`), with what ``/readyz``
and ``/metrics`` report about them.

The bus comes from the ``bus_url`` setting (``nats://...``: JetStream), or is handed in by
the process that embeds every app (``fnet up``: one :class:`InMemoryBus` for all). An
in-memory bus that no embedder shares would be a bus with one member, silently losing
every event meant for another process, so :func:`connect_bus` refuses it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from kit.db import Database, transaction
from kit.events.bus import Bus, InMemoryBus, JetStreamBus
from kit.events.inbox import Consumer, dead_letters
from kit.events.outbox import outbox
from kit.events.relay import OutboxRelay
from kit.observability import Metrics
from kit.settings import ServiceSettings


class BusNotShared(RuntimeError):
    """A service configured for the in-memory bus was started on its own."""


async def connect_bus(settings: ServiceSettings, *, name: str) -> Bus:
    """The bus ``settings.bus_url`` names. Raises :class:`BusNotShared` for ``memory://``:
    only an embedding process can give a service an in-memory bus (``bus=``)."""
    if settings.bus_url == "memory://":
        raise BusNotShared(
            f"{name}: bus_url is memory://, but no in-memory bus was shared with this app. "
            "The in-memory bus only works when one process runs every app (`fnet up`); a "
            f"service running alone needs NATS: set FNET_{name.upper()}_BUS_URL="
            "nats://host:4222"
        )
    return await JetStreamBus.connect(
        settings.bus_url,
        name=f"fnet-{name}",
        stream=settings.bus_stream,
        prefix=settings.bus_subject_prefix,
    )


class EventsRuntime:
    """One service's relay and consumers on one bus (which its caller opens and closes)."""

    def __init__(
        self,
        name: str,
        database: Database,
        bus: Bus,
        consumers: Sequence[Consumer],
    ) -> None:
        self.name = name
        self.database = database
        self.bus = bus
        self.consumers = list(consumers)
        self.relay = OutboxRelay(database, bus)
        self.backlog = 0
        self.dead_letters = 0

    async def start(self) -> None:
        self.relay.start()
        for consumer in self.consumers:
            await consumer.start(self.bus)

    async def stop(self) -> None:
        for consumer in self.consumers:
            await consumer.stop()
        await self.relay.stop()

    async def ping(self) -> None:
        """Raises unless the bus is reachable."""
        if isinstance(self.bus, JetStreamBus):
            if not self.bus.client.is_connected:
                raise ConnectionError("not connected to NATS")
            await self.bus.client.flush(timeout=2)
        elif not isinstance(self.bus, InMemoryBus):  # pragma: no cover - no third bus yet
            raise TypeError(f"unknown bus {type(self.bus).__name__}")

    async def refresh(self) -> None:
        """Read the numbers that live in the database (for ``/metrics``)."""
        async with transaction(self.database, write=False) as session:
            self.backlog = (
                await session.scalar(
                    select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
                )
            ) or 0
            self.dead_letters = (
                await session.scalar(
                    select(func.count())
                    .select_from(dead_letters)
                    .where(dead_letters.c.replayed_at.is_(None))
                )
            ) or 0

    def instrument(self, metrics: Metrics) -> None:
        """Report this runtime's numbers in ``metrics`` (the app's own registry)."""
        metrics.registry.register(_EventsCollector(self))
        metrics.refreshers.append(self.refresh)


class _EventsCollector(Collector):
    def __init__(self, runtime: EventsRuntime) -> None:
        self.runtime = runtime

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        rt = self.runtime
        backlog = GaugeMetricFamily(
            "fnet_events_outbox_backlog", "Outbox events not yet published", labels=["app"]
        )
        backlog.add_metric([rt.name], rt.backlog)
        yield backlog
        pending = GaugeMetricFamily(
            "fnet_events_dead_letters",
            "Dead-lettered events not replayed (fnet events dead-letters)",
            labels=["app"],
        )
        pending.add_metric([rt.name], rt.dead_letters)
        yield pending
        published = CounterMetricFamily(
            "fnet_events_published", "Events this process's relay published", labels=["app"]
        )
        published.add_metric([rt.name], rt.relay.published)
        yield published
        failures = CounterMetricFamily(
            "fnet_events_publish_failures",
            "Publishes that failed and will be retried",
            labels=["app"],
        )
        failures.add_metric([rt.name], rt.relay.failures)
        yield failures
        for metric, help_text, attribute in (
            ("fnet_events_consumed", "Events applied by a consumer", "consumed"),
            ("fnet_events_duplicates", "Redelivered events the inbox recognised", "duplicates"),
            ("fnet_events_retries", "Handler failures that asked for redelivery", "retries"),
            ("fnet_events_dead_lettered", "Events moved to dead letters", "dead_lettered"),
        ):
            family = CounterMetricFamily(metric, help_text, labels=["app", "consumer"])
            for consumer in rt.consumers:
                family.add_metric([rt.name, consumer.name], getattr(consumer, attribute))
            yield family
