"""The in-process cache of sessions behind people's access tokens: what a ``sid`` acts as
(or that it is revoked), read from the database at most once per ``key_cache_seconds`` and
dropped at once when a revocation is announced (:mod:`gateway.revocations`)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from gateway.callers import Caller


@dataclass(frozen=True, slots=True)
class CachedSession:
    caller: Caller | None  # None: revoked, expired, or its person no longer a member
    expires_at: float


class SessionCache:
    def __init__(self, ttl_seconds: float, *, max_entries: int = 100_000) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        self._entries: dict[uuid.UUID, CachedSession] = {}
        self.generation = 0

    def get(self, session_id: uuid.UUID) -> CachedSession | None:
        entry = self._entries.get(session_id)
        if entry is None or entry.expires_at <= time.monotonic():
            return None
        return entry

    def put(
        self, session_id: uuid.UUID, caller: Caller | None, *, generation: int
    ) -> CachedSession:
        entry = CachedSession(caller, time.monotonic() + self.ttl_seconds)
        if generation == self.generation and self.ttl_seconds > 0:
            if len(self._entries) >= self.max_entries:
                now = time.monotonic()
                self._entries = {k: e for k, e in self._entries.items() if e.expires_at > now}
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
            self._entries[session_id] = entry
        return entry

    def forget(self, session_id: uuid.UUID) -> None:
        self.generation += 1
        self._entries.pop(session_id, None)
