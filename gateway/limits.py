"""Rate limits on the proxy path, with the ``limits`` library: per principal (the key or
person a request is authenticated as) and, for public reads, per client address.

Counters live in ``rate_limit_storage_url``: ``memory://`` (this process only: the embedded
default) or ``redis://...`` (shared by every gateway replica, so that N replicas hold one
limit, not N). The strategy is ``limits``' fixed window (a window starts at its first hit
and lasts the limit's period): one atomic ``INCRBY``+``EXPIRE`` script in Redis, one
round-trip per request, and its result is the count, so the answer's ``RateLimit`` header
costs nothing more. A moving window would be exact at window edges but keeps one entry per
request in a Redis list (a 600/minute limit: 600 entries per principal) and costs a longer
script; the sliding-window counter is as cheap but says only yes or no, so ``RateLimit``
would need a second round-trip.

Answers carry the IETF draft's ``RateLimit-Policy`` (``"principal";q=600;w=60``) and
``RateLimit`` (``"principal";r=<remaining>;t=<seconds to reset>``; ``t`` is left out of
successful answers when the counters are in Redis, where it would cost a second round-trip).
A refusal is ``429 rate-limited`` problem+json with ``Retry-After`` and both headers.

If the storage fails (Redis unreachable or slow past ``rate_limit_storage_timeout_seconds``)
requests pass unlimited for a second before it is tried again: a rate limiter must not turn
a Redis outage into an API outage. Each such failure is logged and counted in
``fnet_gateway_rate_limit_storage_errors_total``.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import redis.asyncio
from limits import RateLimitItem, parse_many
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.storage.redis.redispy import RedispyBridge
from prometheus_client import Counter
from starlette.types import Scope

from gateway.settings import GatewaySettings
from kit.errors import Problem
from kit.identity import Principal

logger = logging.getLogger("fnet.gateway.limits")

Headers = list[tuple[bytes, bytes]]

# After a storage failure, requests pass unchecked for this long before it is tried again.
STORAGE_RETRY_SECONDS = 1.0


class RateLimited(Problem):
    status, slug, title = 429, "rate-limited", "Too many requests"


def parse_limits(value: str) -> tuple[RateLimitItem, ...]:
    """``"600/minute"``, ``"10/second;600/minute"``, or ``""`` for no limit."""
    value = value.strip()
    if not value:
        return ()
    return tuple(parse_many(value))


def storage_uri(url: str) -> str:
    """The ``limits`` storage URI of a setting: ``memory://`` or ``redis[s]://...``."""
    if url == "memory://":
        return "async+memory://"
    return "async+" + url


@dataclass(frozen=True, slots=True)
class Policy:
    """One named set of limits (``principal`` or ``address``) and its fixed headers."""

    name: str
    items: tuple[RateLimitItem, ...]
    policy_header: bytes

    @classmethod
    def of(cls, name: str, items: Sequence[RateLimitItem]) -> Policy:
        header = ", ".join(f'"{name}";q={item.amount};w={item.get_expiry()}' for item in items)
        return cls(name, tuple(items), header.encode())


class RateLimits:
    """The limits of the proxy path; ``open`` and ``close`` are the app lifespan's."""

    def __init__(self, settings: GatewaySettings, refusals: Counter, errors: Counter) -> None:
        self.principal = Policy.of("principal", parse_limits(settings.rate_limit_per_principal))
        self.address = Policy.of("address", parse_limits(settings.rate_limit_per_address))
        self.url = settings.rate_limit_storage_url
        self.prefix = settings.rate_limit_key_prefix
        self.timeout = settings.rate_limit_storage_timeout_seconds
        self.storage: Storage | None = None
        self._local = self.url == "memory://"
        self._down_until = 0.0
        self._refusals = {
            "principal": refusals.labels("principal"),
            "address": refusals.labels("address"),
        }
        self._errors = errors

    async def open(self) -> None:
        if not (self.principal.items or self.address.items):
            return
        if self._local:
            self.storage = MemoryStorage()
        else:
            self.storage = RedisStorage(
                storage_uri(self.url),
                wrap_exceptions=True,
                implementation="redispy",
                key_prefix=self.prefix,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
            )

    async def close(self) -> None:
        storage = self.storage
        self.storage = None
        if isinstance(storage, RedisStorage) and isinstance(storage.bridge, RedispyBridge):
            # limits has no close of its own: the client's connections are closed here.
            client = storage.bridge.get_connection()
            if isinstance(client, redis.asyncio.Redis):
                await client.aclose()

    async def check_principal(self, principal: Principal) -> Headers:
        """Count a request of ``principal`` (per organisation and subject); the headers for
        the answer, or raises :class:`RateLimited`."""
        if not self.principal.items:
            return []
        return await self._hit(
            self.principal, f"{self.prefix}/{principal.organisation_id}/{principal.subject}"
        )

    async def check_address(self, scope: Scope) -> Headers:
        """Count a request without a principal, by its client's address (the one uvicorn
        resolved from ``X-Forwarded-For`` when the proxy in front is trusted)."""
        if not self.address.items:
            return []
        client = scope.get("client")
        return await self._hit(self.address, f"{self.prefix}/{client[0] if client else '-'}")

    async def _hit(self, policy: Policy, identity: str) -> Headers:
        storage = self.storage
        if storage is None or (self._down_until and time.monotonic() < self._down_until):
            return []
        states: list[str] = []
        refused: RateLimitItem | None = None
        retry_after = 0
        try:
            for item in policy.items:
                key = item.key_for(policy.name, identity)
                expiry = item.get_expiry()
                count = await storage.incr(key, expiry)
                remaining = max(item.amount - count, 0)
                state = f'"{policy.name}";r={remaining}'
                if count > item.amount or self._local or count == 1:
                    # The reset is known for free in memory and on a window's first hit;
                    # in Redis otherwise it costs a TTL read, paid on refusals only.
                    reset = (
                        expiry
                        if count == 1
                        else max(math.ceil(await storage.get_expiry(key) - time.time()), 1)
                    )
                    state += f";t={reset}"
                    if count > item.amount and reset > retry_after:
                        refused, retry_after = item, reset
                states.append(state)
        except Exception as exc:
            self._down_until = time.monotonic() + STORAGE_RETRY_SECONDS
            self._errors.inc()
            logger.warning(
                "rate limit storage failed; requests pass unlimited for %g s",
                STORAGE_RETRY_SECONDS,
                extra={"error": repr(exc)},
            )
            return []
        self._down_until = 0.0
        headers: Headers = [
            (b"ratelimit-policy", policy.policy_header),
            (b"ratelimit", ", ".join(states).encode()),
        ]
        if refused is not None:
            self._refusals[policy.name].inc()
            raise RateLimited(
                f"more than {refused.amount} requests per {_period(refused)} for this "
                f"{'API key or person' if policy.name == 'principal' else 'client address'}; "
                f"retry in {retry_after} s",
                headers={
                    "Retry-After": str(retry_after),
                    **{name.decode(): value.decode() for name, value in headers},
                },
            )
        return headers


def _period(item: RateLimitItem) -> str:
    unit = item.GRANULARITY.name
    return unit if item.multiples == 1 else f"{item.multiples} {unit}s"
