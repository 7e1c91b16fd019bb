"""The bus: how events travel from one service's relay to other services' consumers.

- :class:`JetStreamBus` (production): NATS JetStream, one stream (``FNET``, subjects
  ``fnet.>``), subject ``fnet.<type>``, the event id as ``Nats-Msg-Id`` so that the stream
  drops a republished event; one durable pull consumer per subscribing service, with
  explicit acknowledgement.
- :class:`InMemoryBus` (the embedded default, every app in one process): the same
  semantics (at-least-once, redelivery after a failure, deduplication by event id) on
  asyncio queues.

A subscriber's handler gets a :class:`Delivery`. Returning acknowledges it; raising asks
for redelivery (after :attr:`RetryLater.delay` seconds when the handler raised that).
Delivery is at least once: handlers must be idempotent (see :mod:`kit.events.inbox`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js import api as js_api
from nats.js.errors import NotFoundError

from kit.events.envelope import Event

logger = logging.getLogger("fnet.events.bus")

DEFAULT_RETRY_DELAY = 1.0


@dataclass(frozen=True, slots=True)
class Delivery:
    event: Event
    attempt: int  # 1 on first delivery


Handler = Callable[[Delivery], Awaitable[None]]


class RetryLater(Exception):
    """Raised by a handler: deliver this event again after ``delay`` seconds."""

    def __init__(self, delay: float, reason: str = "") -> None:
        super().__init__(reason or f"retry in {delay:.1f}s")
        self.delay = delay


class PublishError(Exception):
    """The bus did not confirm that it stored the event; publish it again later."""


class Subscription(Protocol):
    async def stop(self) -> None: ...


class Bus(Protocol):
    async def publish(self, event: Event) -> None:
        """Store the event on the bus; returns once the bus has confirmed it. Publishing an
        event again (same id) is harmless. Raises :class:`PublishError`."""

    async def subscribe(
        self, durable_name: str, subjects: Sequence[str], handler: Handler
    ) -> Subscription:
        """Deliver every event whose type matches one of ``subjects`` (NATS wildcards:
        ``network.foundation.*``, ``network.>``) to ``handler``. Subscriptions with the same
        ``durable_name`` share the work (replicas of one service); a durable consumer keeps
        its position while no one is subscribed."""

    async def close(self) -> None: ...


def subject_matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: ``*`` is one token, ``>`` the rest (one token or more)."""
    pattern_tokens = pattern.split(".")
    tokens = subject.split(".")
    for i, part in enumerate(pattern_tokens):
        if part == ">":
            return len(tokens) > i
        if i >= len(tokens) or (part not in ("*", tokens[i])):
            return False
    return len(tokens) == len(pattern_tokens)


def _delay_of(exc: BaseException) -> float:
    return exc.delay if isinstance(exc, RetryLater) else DEFAULT_RETRY_DELAY


# --- in memory ------------------------------------------------------------------------


class _Durable:
    """One durable consumer's queue, shared by its subscriptions."""

    def __init__(self, subjects: Sequence[str]) -> None:
        self.subjects = list(subjects)
        self.queue: asyncio.Queue[Delivery] = asyncio.Queue()
        self.workers: list[asyncio.Task[None]] = []


class _InMemorySubscription:
    def __init__(self, durable: _Durable, task: asyncio.Task[None]) -> None:
        self._durable = durable
        self._task = task

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        if self._task in self._durable.workers:
            self._durable.workers.remove(self._task)


class InMemoryBus:
    """Events between apps in one process. Durable consumers keep receiving into their
    queue while no one is subscribed, like JetStream's, but only for the process's life."""

    def __init__(self, *, dedup_window: int = 100_000) -> None:
        self._durables: dict[str, _Durable] = {}
        self._seen: OrderedDict[Any, None] = OrderedDict()
        self._dedup_window = dedup_window
        self._timers: set[asyncio.TimerHandle] = set()

    async def publish(self, event: Event) -> None:
        if event.id in self._seen:  # as JetStream's Nats-Msg-Id deduplication
            return
        self._seen[event.id] = None
        if len(self._seen) > self._dedup_window:
            self._seen.popitem(last=False)
        for durable in self._durables.values():
            if any(subject_matches(p, event.type) for p in durable.subjects):
                durable.queue.put_nowait(Delivery(event, 1))

    async def subscribe(
        self, durable_name: str, subjects: Sequence[str], handler: Handler
    ) -> Subscription:
        durable = self._durables.get(durable_name)
        if durable is None:
            durable = self._durables[durable_name] = _Durable(subjects)
        elif sorted(durable.subjects) != sorted(subjects):
            raise ValueError(f"durable {durable_name!r} already subscribes to {durable.subjects}")
        task = asyncio.create_task(self._work(durable, handler), name=f"bus:{durable_name}")
        durable.workers.append(task)
        return _InMemorySubscription(durable, task)

    async def _work(self, durable: _Durable, handler: Handler) -> None:
        loop = asyncio.get_running_loop()
        while True:
            delivery = await durable.queue.get()
            try:
                await handler(delivery)
            except asyncio.CancelledError:
                durable.queue.put_nowait(delivery)  # unacknowledged: someone else gets it
                raise
            except Exception as exc:
                again = Delivery(delivery.event, delivery.attempt + 1)
                timer = loop.call_later(_delay_of(exc), self._redeliver, durable, again)
                self._timers.add(timer)

    def _redeliver(self, durable: _Durable, delivery: Delivery) -> None:
        durable.queue.put_nowait(delivery)

    async def close(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for durable in self._durables.values():
            for task in list(durable.workers):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            durable.workers.clear()


# --- NATS JetStream -------------------------------------------------------------------


class _JetStreamSubscription:
    def __init__(self, task: asyncio.Task[None]) -> None:
        self._task = task

    async def stop(self) -> None:
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


class JetStreamBus:
    """Events over NATS JetStream. Build with :meth:`connect`.

    ``stream`` and ``prefix`` are settings so that tests (and several deployments sharing
    one NATS) can keep to streams of their own; production uses the defaults.
    """

    def __init__(
        self,
        client: NatsClient,
        *,
        stream: str = "FNET",
        prefix: str = "fnet",
        publish_timeout: float = 5.0,
        ack_wait: float = 30.0,
        fetch_batch: int = 32,
    ) -> None:
        self.client = client
        self.js: JetStreamContext = client.jetstream(timeout=publish_timeout)
        self.stream = stream
        self.prefix = prefix
        self.publish_timeout = publish_timeout
        self.ack_wait = ack_wait
        self.fetch_batch = fetch_batch
        self._subscriptions: list[_JetStreamSubscription] = []

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        name: str | None = None,
        duplicate_window: float = 600.0,
        **options: Any,
    ) -> JetStreamBus:
        """Connect and make sure the stream exists. The client reconnects for ever in the
        background; publishes fail (and the relay retries) while it is away."""
        client = await nats.connect(
            url,
            name=name,
            max_reconnect_attempts=-1,
            reconnect_time_wait=1,
            connect_timeout=5,
        )
        bus = cls(client, **options)
        try:
            await bus.ensure_stream(duplicate_window=duplicate_window)
        except BaseException:
            await client.close()
            raise
        return bus

    def subject(self, event_type: str) -> str:
        return f"{self.prefix}.{event_type}"

    async def ensure_stream(self, *, duplicate_window: float = 600.0) -> None:
        config = js_api.StreamConfig(
            name=self.stream,
            subjects=[f"{self.prefix}.>"],
            retention=js_api.RetentionPolicy.LIMITS,
            storage=js_api.StorageType.FILE,
            # Republishing an event within this window (a relay that published but died
            # before marking the row) is dropped by the stream; consumers' inboxes cover
            # anything older.
            duplicate_window=duplicate_window,
        )
        try:
            await self.js.stream_info(self.stream)
        except NotFoundError:
            await self.js.add_stream(config)
        else:
            await self.js.update_stream(config)

    async def publish(self, event: Event) -> None:
        try:
            await self.js.publish(
                self.subject(event.type),
                event.to_json(),
                timeout=self.publish_timeout,
                stream=self.stream,
                headers={"Nats-Msg-Id": str(event.id)},
            )
        except Exception as exc:
            raise PublishError(f"{type(exc).__name__}: {exc}") from exc

    async def subscribe(
        self, durable_name: str, subjects: Sequence[str], handler: Handler
    ) -> Subscription:
        # NATS before 2.10 filters a consumer on one subject only: with several we take the
        # whole stream and filter here (events of other types are acknowledged unseen).
        filter_subject = self.subject(subjects[0]) if len(subjects) == 1 else f"{self.prefix}.>"
        config = js_api.ConsumerConfig(
            durable_name=durable_name,
            ack_policy=js_api.AckPolicy.EXPLICIT,
            deliver_policy=js_api.DeliverPolicy.ALL,
            ack_wait=self.ack_wait,
            max_deliver=-1,  # kit.events.inbox bounds attempts and dead-letters
            filter_subject=filter_subject,
        )
        await self.js.add_consumer(self.stream, config)
        pull = await self.js.pull_subscribe_bind(durable_name, self.stream)
        task = asyncio.create_task(
            self._work(pull, list(subjects), handler), name=f"jetstream:{durable_name}"
        )
        subscription = _JetStreamSubscription(task)
        self._subscriptions.append(subscription)
        return subscription

    async def _work(
        self, pull: JetStreamContext.PullSubscription, subjects: list[str], handler: Handler
    ) -> None:
        try:
            while True:
                try:
                    messages = await pull.fetch(self.fetch_batch, timeout=1.0)
                except TimeoutError:
                    continue
                except asyncio.CancelledError:
                    raise
                except Exception:
                    logger.warning("fetch failed; retrying", exc_info=True)
                    await asyncio.sleep(1.0)
                    continue
                for message in messages:
                    await self._deliver(message, subjects, handler)
        finally:
            with contextlib.suppress(Exception):
                await pull.unsubscribe()

    async def _deliver(self, message: Msg, subjects: list[str], handler: Handler) -> None:
        try:
            event = Event.from_json(message.data)
        except ValueError:
            logger.error("undecodable message on %s; terminated", message.subject)
            await message.term()
            return
        if not any(subject_matches(p, event.type) for p in subjects):
            await message.ack()
            return
        try:
            await handler(Delivery(event, message.metadata.num_delivered))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            try:
                await message.nak(delay=_delay_of(exc))
            except Exception:
                # Unacknowledged, the event still comes back after ack_wait.
                logger.warning("nak of %s failed", event.id, exc_info=True)
            return
        try:
            await message.ack()
        except Exception:
            # The effect is committed; the event comes back after ack_wait and the
            # consumer's inbox recognises it.
            logger.warning("ack of %s failed", event.id, exc_info=True)

    async def close(self) -> None:
        for subscription in self._subscriptions:
            await subscription.stop()
        self._subscriptions.clear()
        await self.client.close()
