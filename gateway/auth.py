"""Authentication on the proxy path: an API key in, a signed identity token out.

The hot path touches no database and signs nothing: verified keys come from the
:class:`~gateway.keys.cache.KeyCache`, and the identity token of a principal is reused
until half its lifetime has passed (services accept it for all of it).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from gateway.keys import service
from gateway.keys.cache import CachedKey, KeyCache
from kit.db import Database, transaction
from kit.errors import ServiceUnavailable, Unauthorized
from kit.identity import Principal, TokenSigner

CHALLENGE = 'Bearer realm="fnet"'

logger = logging.getLogger("fnet.gateway.auth")


class MissingKey(Unauthorized):
    slug, title = "api-key-required", "An API key is required"

    def __init__(self) -> None:
        super().__init__(
            "send your API key as the X-API-Key header or as Authorization: Bearer <key>",
            headers={"WWW-Authenticate": CHALLENGE},
        )


class InvalidKey(Unauthorized):
    slug, title = "invalid-api-key", "The API key is not valid"

    def __init__(self) -> None:
        super().__init__(
            "the API key is unknown, revoked or mistyped",
            headers={"WWW-Authenticate": f'{CHALLENGE}, error="invalid_token"'},
        )


class KeyStoreUnavailable(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__(
            "the gateway cannot check API keys right now; retry shortly",
            headers={"Retry-After": "1"},
        )


def presented_key(x_api_key: bytes | None, authorization: bytes | None) -> str | None:
    """The key from ``X-API-Key``, else from ``Authorization: Bearer``."""
    if x_api_key:
        return x_api_key.decode("latin-1").strip()
    if authorization:
        scheme, _, credentials = authorization.decode("latin-1").strip().partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip()
        return ""  # another scheme, or none: a credential we cannot use
    return None


class IdentityTokens:
    """Signed identity tokens per principal, renewed once half their lifetime has passed."""

    def __init__(self, signer: TokenSigner, *, max_entries: int = 100_000) -> None:
        self._signer = signer
        self._renew_after = signer.ttl_seconds / 2
        self._tokens: dict[Principal, tuple[str, float]] = {}
        self._max_entries = max_entries

    def token_for(self, principal: Principal) -> str:
        now = time.monotonic()
        cached = self._tokens.get(principal)
        if cached is not None and cached[1] > now:
            return cached[0]
        token = self._signer.sign(principal)
        if len(self._tokens) >= self._max_entries:
            self._tokens = {p: t for p, t in self._tokens.items() if t[1] > now}
            if len(self._tokens) >= self._max_entries:
                self._tokens.clear()
        self._tokens[principal] = (token, now + self._renew_after)
        return token


class Authenticator:
    """Turns a presented key into the identity token forwarded to services.

    ``database`` is set by the app's lifespan. Concurrent requests with the same uncached
    key share one database read."""

    def __init__(self, signer: TokenSigner, cache: KeyCache) -> None:
        self.database: Database | None = None
        self.cache = cache
        self.tokens = IdentityTokens(signer)
        self._loading: dict[str, asyncio.Task[CachedKey]] = {}

    async def identity_token(self, presented: str | None) -> str:
        """The token for the key's principal. Raises :class:`MissingKey`,
        :class:`InvalidKey` or :class:`KeyStoreUnavailable`."""
        return self.tokens.token_for(await self.principal(presented))

    async def principal(self, presented: str | None) -> Principal:
        """Who the key acts as; raises as :meth:`identity_token`."""
        if presented is None:
            raise MissingKey
        parsed = service.parse_key(presented)
        if parsed is None:
            raise InvalidKey
        entry = self.cache.get(parsed.prefix) or await self._load(parsed.prefix)
        if entry.principal is None or not service.secret_matches(parsed.secret, entry.secret_hash):
            raise InvalidKey
        return entry.principal

    async def _load(self, prefix: str) -> CachedKey:
        # The read runs as its own task, so a client that goes away does not cancel it
        # for the others waiting on it.
        task = self._loading.get(prefix)
        if task is None:
            task = asyncio.ensure_future(self._read(prefix))
            self._loading[prefix] = task
            task.add_done_callback(self._loaded(prefix))
        return await asyncio.shield(task)

    def _loaded(self, prefix: str) -> Callable[[asyncio.Task[CachedKey]], None]:
        def forget(task: asyncio.Task[CachedKey]) -> None:
            del self._loading[prefix]
            if not task.cancelled():
                task.exception()  # seen here, even when every waiter has gone

        return forget

    async def _read(self, prefix: str) -> CachedKey:
        database = self.database
        if database is None:
            raise KeyStoreUnavailable
        generation = self.cache.generation
        try:
            async with transaction(database, write=False) as session:
                key = await service.find_active(session, prefix)
        except Exception as exc:
            logger.warning("cannot read API keys", exc_info=exc)
            raise KeyStoreUnavailable from exc
        if key is None:
            return self.cache.put(prefix, None, "", generation=generation)
        return self.cache.put(
            prefix, service.principal_of(key), key.secret_hash, generation=generation
        )
