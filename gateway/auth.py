"""Authentication and authorisation on the proxy path: a credential in (an API key, or a
person's access token), a signed identity token out, once the route's scopes are held.

The hot path touches no database and signs nothing: verified keys come from the
:class:`~gateway.keys.cache.KeyCache`, sessions behind access tokens from the
:class:`~gateway.people.cache.SessionCache`, and the identity token of a principal is
reused until half its lifetime has passed (services accept it for all of it). What is
worth remembering about a request (a key's use, a refusal) is noted in memory and written
in the background.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

from gateway.audit.service import AuditWriter
from gateway.callers import Caller
from gateway.keys import service
from gateway.keys.cache import CachedKey, KeyCache
from gateway.keys.usage import KeyUsage
from gateway.people import service as people
from gateway.people.cache import CachedSession, SessionCache
from gateway.people.exceptions import InvalidAccessToken
from gateway.people.tokens import AccessTokens, looks_like_jwt
from gateway.scopes import ScopeTable
from kit.db import Database, transaction
from kit.errors import Forbidden, ServiceUnavailable, Unauthorized
from kit.identity import Principal, TokenSigner

CHALLENGE = 'Bearer realm="fnet"'
# A refusal of the same caller on the same route is audited once in this time.
REFUSAL_AUDIT_SECONDS = 60.0

logger = logging.getLogger("fnet.gateway.auth")

T = TypeVar("T")
K = TypeVar("K")


class MissingKey(Unauthorized):
    slug, title = "api-key-required", "An API key or access token is required"

    def __init__(self) -> None:
        super().__init__(
            "send your API key as the X-API-Key header or as Authorization: Bearer <key>, "
            "or a person's access token as Authorization: Bearer <token>",
            headers={"WWW-Authenticate": CHALLENGE},
        )


class InvalidKey(Unauthorized):
    slug, title = "invalid-api-key", "The API key is not valid"

    def __init__(self, detail: str = "the API key is unknown, revoked or mistyped") -> None:
        super().__init__(
            detail, headers={"WWW-Authenticate": f'{CHALLENGE}, error="invalid_token"'}
        )


class MissingScope(Forbidden):
    slug, title = "missing-scope", "The credential lacks a scope this route needs"


class KeyStoreUnavailable(ServiceUnavailable):
    def __init__(self) -> None:
        super().__init__(
            "the gateway cannot check credentials right now; retry shortly",
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
    """Turns a presented credential into the identity token forwarded to services.

    ``database`` is set by the app's lifespan. Concurrent requests with the same uncached
    key or session share one database read."""

    def __init__(
        self,
        signer: TokenSigner,
        cache: KeyCache,
        *,
        access_tokens: AccessTokens | None = None,
        sessions: SessionCache | None = None,
        scopes: ScopeTable | None = None,
    ) -> None:
        self.database: Database | None = None
        self.cache = cache
        self.sessions = sessions or SessionCache(cache.ttl_seconds)
        self.access_tokens = access_tokens
        self.scopes = scopes or ScopeTable()
        self.tokens = IdentityTokens(signer)
        self.usage = KeyUsage()
        self.audit = AuditWriter()
        self._loading_keys: dict[str, asyncio.Task[CachedKey]] = {}
        self._loading_sessions: dict[uuid.UUID, asyncio.Task[CachedSession]] = {}
        self._refusals: dict[tuple[str, str, str], float] = {}

    async def identity_token(
        self,
        presented: str | None,
        *,
        method: str | None = None,
        path: str | None = None,
        client_ip: str | None = None,
    ) -> str:
        """The token for the credential's principal, once it holds the scopes of the
        route (``method``, ``path``; unchecked without them). Raises :class:`MissingKey`,
        :class:`InvalidKey`, :class:`InvalidAccessToken`, :class:`MissingScope` or
        :class:`KeyStoreUnavailable`."""
        caller = await self.authenticate(presented, client_ip=client_ip)
        if method is not None and path is not None:
            self.authorize(caller, method, path, client_ip=client_ip)
        return self.tokens.token_for(caller.principal)

    async def principal(self, presented: str | None) -> Principal:
        """Who the credential acts as; raises as :meth:`identity_token`."""
        return (await self.authenticate(presented)).principal

    def authorize(
        self, caller: Caller, method: str, path: str, *, client_ip: str | None = None
    ) -> None:
        route = self.scopes.route(method, path)
        if route is None:
            return
        template, needed = route
        missing = needed - caller.principal.scopes
        if not missing:
            return
        self._audit_refusal(caller, method, template, sorted(missing), client_ip)
        raise MissingScope(
            f"{method} {template} needs the scope(s) {', '.join(sorted(needed))}; "
            f"this credential lacks {', '.join(sorted(missing))}"
        )

    def _audit_refusal(
        self, caller: Caller, method: str, template: str, missing: list[str], client_ip: str | None
    ) -> None:
        now = time.monotonic()
        seen = (caller.actor, method, template)
        if now - self._refusals.get(seen, -REFUSAL_AUDIT_SECONDS) < REFUSAL_AUDIT_SECONDS:
            return
        if len(self._refusals) > 10_000:
            self._refusals.clear()
        self._refusals[seen] = now
        self.audit.add(
            "permission.denied",
            actor=caller.actor,
            organisation_id=caller.principal.organisation_id,
            target=f"{method} {template}",
            client_ip=client_ip,
            details={"missing_scopes": missing},
        )

    async def authenticate(self, presented: str | None, *, client_ip: str | None = None) -> Caller:
        if presented is None:
            raise MissingKey
        if self.access_tokens is not None and looks_like_jwt(presented):
            return await self._person(presented)
        parsed = service.parse_key(presented)
        if parsed is None:
            raise InvalidKey
        entry = self.cache.get(parsed.prefix)
        if entry is None:
            entry = await self._once(
                self._loading_keys, parsed.prefix, lambda: self._read_key(parsed.prefix)
            )
        if entry.principal is None or not service.secret_matches(parsed.secret, entry.secret_hash):
            raise InvalidKey
        if entry.valid_until is not None and entry.valid_until <= time.time():
            raise InvalidKey("the API key has expired")
        if entry.key_id is not None:
            self.usage.touch(
                entry.key_id, entry.principal.organisation_id, entry.principal.subject, client_ip
            )
        return Caller(principal=entry.principal, key_id=entry.key_id)

    async def _person(self, token: str) -> Caller:
        assert self.access_tokens is not None
        claims = self.access_tokens.verify(token)
        entry = self.sessions.get(claims.session_id)
        if entry is None:
            entry = await self._once(
                self._loading_sessions,
                claims.session_id,
                lambda: self._read_session(claims.session_id),
            )
        if entry.caller is None or entry.caller.person_id != claims.person_id:
            raise InvalidAccessToken("the session of this access token has ended; sign in again")
        return entry.caller

    def forget(self, kind: str, ident: str) -> None:
        """A revocation announced by some gateway (:mod:`gateway.revocations`)."""
        if kind == "key":
            self.cache.forget(ident)
        elif kind == "session":
            with contextlib.suppress(ValueError):
                self.sessions.forget(uuid.UUID(ident))

    async def _once(
        self, loading: dict[K, asyncio.Task[T]], key: K, read: Callable[[], Awaitable[T]]
    ) -> T:
        # The read runs as its own task, so a client that goes away does not cancel it
        # for the others waiting on it.
        task = loading.get(key)
        if task is None:
            task = asyncio.ensure_future(read())
            loading[key] = task

            def forget(done: asyncio.Task[T]) -> None:
                del loading[key]
                if not done.cancelled():
                    done.exception()  # seen here, even when every waiter has gone

            task.add_done_callback(forget)
        return await asyncio.shield(task)

    async def _read_key(self, prefix: str) -> CachedKey:
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
            prefix,
            service.principal_of(key),
            key.secret_hash,
            generation=generation,
            key_id=key.id,
            valid_until=key.expires_at.timestamp() if key.expires_at is not None else None,
        )

    async def _read_session(self, session_id: uuid.UUID) -> CachedSession:
        database = self.database
        if database is None:
            raise KeyStoreUnavailable
        generation = self.sessions.generation
        try:
            async with transaction(database, write=False) as session:
                caller = await people.caller_of_session(session, session_id)
        except Exception as exc:
            logger.warning("cannot read sessions", exc_info=exc)
            raise KeyStoreUnavailable from exc
        return self.sessions.put(session_id, caller, generation=generation)
