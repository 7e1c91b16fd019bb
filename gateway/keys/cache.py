"""The in-process cache of verified API keys, so that the proxy path usually reads no
database.

An entry is trusted for ``key_cache_seconds``. A key revoked, rotated away or changed
through the API is dropped at once from the cache of every gateway process: the process
that changed it announces it over the bus (:mod:`gateway.revocations`) and each gateway,
itself included, forgets the key. ``key_cache_seconds`` only bounds how long a revocation
that no announcement carried (one made with ``fnet keys revoke``, or while the bus was
down) can go unnoticed.
"""

from __future__ import annotations

import time
import uuid
import weakref
from dataclasses import dataclass

from kit.identity import Principal

_live_caches: weakref.WeakSet[KeyCache] = weakref.WeakSet()


@dataclass(frozen=True, slots=True)
class CachedKey:
    """What a prefix resolved to. ``principal`` is None when no usable key has it
    (unknown or revoked): such answers are cached too, so a revoked key that a client
    keeps sending costs no query per request (a prefix is random, so none comes back)."""

    principal: Principal | None
    secret_hash: str
    expires_at: float
    key_id: uuid.UUID | None = None
    # The key's own expiry (wall clock, seconds since the epoch), if it has one.
    valid_until: float | None = None


class KeyCache:
    def __init__(self, ttl_seconds: float, *, max_entries: int = 100_000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[str, CachedKey] = {}
        # Bumped by every forget(): a database read that started before a revocation
        # must not put the key back after it was dropped.
        self.generation = 0
        _live_caches.add(self)

    def get(self, prefix: str) -> CachedKey | None:
        entry = self._entries.get(prefix)
        if entry is None or entry.expires_at <= time.monotonic():
            return None
        return entry

    def put(
        self,
        prefix: str,
        principal: Principal | None,
        secret_hash: str,
        *,
        generation: int,
        key_id: uuid.UUID | None = None,
        valid_until: float | None = None,
    ) -> CachedKey:
        """Remember what a read that began at ``generation`` found, unless a key was
        revoked since; return the entry either way."""
        entry = CachedKey(
            principal,
            secret_hash,
            time.monotonic() + self.ttl_seconds,
            key_id=key_id,
            valid_until=valid_until,
        )
        if generation == self.generation and self.ttl_seconds > 0:
            if len(self._entries) >= self.max_entries:
                self._evict()
            self._entries[prefix] = entry
        return entry

    def forget(self, prefix: str) -> None:
        self.generation += 1
        self._entries.pop(prefix, None)

    def _evict(self) -> None:
        now = time.monotonic()
        self._entries = {p: e for p, e in self._entries.items() if e.expires_at > now}
        if len(self._entries) >= self.max_entries:
            self._entries.clear()


def forget_everywhere(prefix: str) -> None:
    """Drop ``prefix`` from every key cache of this process (the command-line tool's
    revocation, in the process that runs it; gateways elsewhere learn it from the bus)."""
    for cache in list(_live_caches):
        cache.forget(prefix)
