"""Revocations reach every gateway replica at once, over the bus.

When a key is revoked, rotated away or changed, or a person's session ends (logout, a
reused refresh token, removal from the organisation), the gateway that did it publishes
one small message; every gateway, itself included, drops the key or session from its
caches, so the next request anywhere reads the database again and is refused.

These messages are not events between services: they need no outbox, no durable consumer
and no replay (a gateway that starts later has nothing cached). So they go over plain
NATS publish/subscribe (every subscriber gets every message), on a subject outside the
JetStream stream's ``<prefix>.>`` (which would otherwise store them and hand them to the
services' consumers): ``<prefix>-gateway.revocations``. In one process (``fnet up``, tests)
the apps sharing an :class:`~kit.events.InMemoryBus` share an in-memory channel instead.
A gateway with neither applies its revocations to itself only; the caches' short
lifetime (``key_cache_seconds``) bounds what another replica could miss.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
import weakref
from collections.abc import Callable
from typing import Protocol

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription as NatsSubscription

from kit.events import Bus, InMemoryBus, JetStreamBus

logger = logging.getLogger("fnet.gateway.revocations")

KEY = "key"
SESSION = "session"

Listener = Callable[[str, str], None]


class Channel(Protocol):
    async def publish(self, message: bytes) -> None: ...

    async def close(self) -> None: ...


class _LocalChannel:
    """The in-memory channel of one :class:`InMemoryBus`: every listener gets every message."""

    def __init__(self) -> None:
        self.listeners: list[Callable[[bytes], None]] = []

    async def publish(self, message: bytes) -> None:
        for listener in list(self.listeners):
            listener(message)

    async def close(self) -> None:
        return None


_local_channels: weakref.WeakKeyDictionary[InMemoryBus, _LocalChannel] = weakref.WeakKeyDictionary()


class _Subscribed:
    def __init__(self, channel: _LocalChannel, listener: Callable[[bytes], None]) -> None:
        self.channel = channel
        self.listener = listener
        channel.listeners.append(listener)

    async def publish(self, message: bytes) -> None:
        await self.channel.publish(message)

    async def close(self) -> None:
        with contextlib.suppress(ValueError):
            self.channel.listeners.remove(self.listener)


class _NatsChannel:
    """Revocations over NATS publish/subscribe, acknowledged: the gateways on the subject
    know each other (each says ``hello`` when it starts, the others answer ``here``, and
    ``bye`` when it stops), and an announcement returns once every other gateway has
    applied it (or after ``ack_timeout``, for one that died without its ``bye``). So when
    the revoking request is answered, no replica still accepts the credential."""

    def __init__(
        self,
        client: NatsClient,
        subject: str,
        deliver: Callable[[bytes], None],
        *,
        owns: bool,
        ack_timeout: float = 1.0,
    ) -> None:
        self.client = client
        self.subject = subject
        self.deliver = deliver
        self.owns = owns
        self.ack_timeout = ack_timeout
        self.id = uuid.uuid4().hex
        self.peers: set[str] = set()
        self.subscription: NatsSubscription | None = None

    async def start(self, *, discover_seconds: float = 0.0) -> None:
        self.subscription = await self.client.subscribe(self.subject, cb=self._on_message)
        await self.client.publish(self.subject, f"hello {self.id}".encode())
        await self.client.flush(timeout=5)
        if discover_seconds:  # a short-lived announcer waits to hear who is there
            await asyncio.sleep(discover_seconds)

    async def _on_message(self, message: Msg) -> None:
        verb, _, rest = message.data.decode("ascii", "replace").partition(" ")
        if verb == "revoke":
            sender, _, body = rest.partition(" ")
            if sender != self.id:
                self.deliver(body.encode("ascii"))
                self.peers.add(sender)
                if message.reply:
                    await self.client.publish(message.reply, self.id.encode())
        elif verb in ("hello", "here") and rest != self.id:
            if verb == "hello" and rest not in self.peers:
                await self.client.publish(self.subject, f"here {self.id}".encode())
            self.peers.add(rest)
        elif verb == "bye":
            self.peers.discard(rest)

    async def publish(self, message: bytes) -> None:
        waiting = set(self.peers)
        acked: set[str] = set()
        done = asyncio.Event()
        if not waiting:
            done.set()

        async def on_ack(reply: Msg) -> None:
            acked.add(reply.data.decode("ascii", "replace"))
            if waiting <= acked:
                done.set()

        inbox = self.client.new_inbox()
        acks = await self.client.subscribe(inbox, cb=on_ack)
        try:
            await self.client.publish(
                self.subject, f"revoke {self.id} ".encode() + message, reply=inbox
            )
            await self.client.flush(timeout=2)
            try:
                await asyncio.wait_for(done.wait(), self.ack_timeout)
            except TimeoutError:
                silent = waiting - acked
                logger.warning("%d gateway(s) did not confirm a revocation", len(silent))
                self.peers -= silent  # gone without a bye; one still alive says hello again
        finally:
            with contextlib.suppress(Exception):
                await acks.unsubscribe()

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.client.publish(self.subject, f"bye {self.id}".encode())
            await self.client.flush(timeout=1)
        if self.subscription is not None:
            with contextlib.suppress(Exception):
                await self.subscription.unsubscribe()
        if self.owns:
            with contextlib.suppress(Exception):
                await self.client.close()


def subject_for(prefix: str) -> str:
    return f"{prefix}-gateway.revocations"


class Revocations:
    """Announces and hears revocations; ``listener(kind, id)`` applies one locally."""

    def __init__(self, listener: Listener) -> None:
        self._listener = listener
        self._channel: Channel | None = None

    def _heard(self, message: bytes) -> None:
        kind, _, ident = message.decode("ascii", "replace").partition(":")
        if kind in (KEY, SESSION) and ident:
            self._listener(kind, ident)

    async def start(
        self,
        *,
        bus: Bus | None,
        bus_url: str,
        subject_prefix: str,
        discover_seconds: float = 0.0,
    ) -> None:
        """Join the channel: the shared in-memory bus's, else NATS at ``bus_url``.
        ``discover_seconds``: how long to listen for the gateways there before returning
        (for a one-off announcer, such as ``fnet keys revoke``)."""
        if isinstance(bus, InMemoryBus):
            channel = _local_channels.setdefault(bus, _LocalChannel())
            self._channel = _Subscribed(channel, self._heard)
            return
        subject = subject_for(subject_prefix)
        client: NatsClient | None = None
        owns = False
        if isinstance(bus, JetStreamBus):
            client = bus.client
        elif bus_url.startswith(("nats://", "tls://")):
            client = await nats.connect(
                bus_url,
                name="fnet-gateway-revocations",
                max_reconnect_attempts=-1,
                reconnect_time_wait=1,
                connect_timeout=5,
            )
            owns = True
        if client is None:
            return  # this gateway alone: revocations apply to itself only
        nats_channel = _NatsChannel(client, subject, self._heard, owns=owns)
        await nats_channel.start(discover_seconds=discover_seconds)
        self._channel = nats_channel

    async def stop(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None

    async def announce(self, kind: str, ident: str) -> None:
        """Apply at once here, then tell the other gateways. A failure to tell them is
        logged, not raised: the revocation is committed, and their caches expire soon."""
        self._listener(kind, ident)
        if self._channel is None:
            return
        try:
            await self._channel.publish(f"{kind}:{ident}".encode("ascii"))
        except Exception:
            logger.warning("cannot announce a revocation to the other gateways", exc_info=True)

    async def key_changed(self, prefix: str) -> None:
        await self.announce(KEY, prefix)

    async def sessions_ended(self, session_ids: list[str]) -> None:
        for ident in session_ids:
            await self.announce(SESSION, ident)
