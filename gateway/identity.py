"""Everything the gateway knows about who calls it, wired together for the app: the
:class:`~gateway.auth.Authenticator` of the proxy path (API keys, people's access
tokens, route scopes), revocations over the bus, the background writers of keys' last
use and of the audit log, and the routes the gateway serves itself for people, keys and
the audit log. ``gateway.app`` makes one :class:`Identity` and starts and stops it with
its lifespan.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from fastapi import APIRouter

from gateway.audit.router import router as audit_router
from gateway.auth import Authenticator
from gateway.keys.cache import KeyCache
from gateway.keys.manage import router as keys_manage_router
from gateway.keys.router import router as partner_keys_router
from gateway.people.cache import SessionCache
from gateway.people.router import router as people_router
from gateway.people.service import Policy
from gateway.people.tokens import AccessTokens, derive_key
from gateway.revocations import Revocations
from gateway.settings import GatewaySettings
from kit.db import Database
from kit.events import Bus
from kit.identity import TokenSigner

# The public API paths the gateway answers itself, not a service (see GatewayApp).
OWN_PATHS = re.compile(
    r"/api/v1/(?:auth|api-keys|invitations|members|audit-log|mobile)(?:/.*)?"
    r"|/api/v1/partners/[^/]+/api-keys"
)
# The first segments after /api/v1/ of those paths: a cheap test before the expression.
_OWN_STARTS = (
    "/api/v1/auth",
    "/api/v1/api-keys",
    "/api/v1/invitations",
    "/api/v1/members",
    "/api/v1/audit-log",
    "/api/v1/mobile",
)


def is_own_path(path: str) -> bool:
    return (path.startswith(_OWN_STARTS) or path.endswith("/api-keys")) and (
        OWN_PATHS.fullmatch(path) is not None
    )


class Identity:
    def __init__(self, settings: GatewaySettings, signer: TokenSigner) -> None:
        self.settings = settings
        self.access_tokens = AccessTokens(
            derive_key(settings.internal_token_secret.get_secret_value()),
            ttl_seconds=settings.access_token_seconds,
        )
        self.authenticator = Authenticator(
            signer,
            KeyCache(settings.key_cache_seconds),
            access_tokens=self.access_tokens,
            sessions=SessionCache(settings.key_cache_seconds),
        )
        self.revocations = Revocations(self.authenticator.forget)
        self.policy = Policy(
            refresh_seconds=settings.refresh_token_seconds,
            lock_after=settings.login_lock_after,
            lock_seconds=settings.login_lock_seconds,
        )

    @property
    def routers(self) -> Sequence[APIRouter]:
        return (people_router, keys_manage_router, partner_keys_router, audit_router)

    async def start(self, database: Database, *, bus: Bus | None, background: bool) -> None:
        """``background`` is False on a test's one-connection database: nothing may use
        it behind the requests' back (what is noted is written when the log is read)."""
        self.authenticator.database = database
        self.authenticator.audit.database = database
        if background:
            self.authenticator.audit.start(database)
        self.authenticator.usage.start(database, background=background)
        await self.revocations.start(
            bus=bus,
            bus_url=self.settings.bus_url,
            subject_prefix=self.settings.bus_subject_prefix,
        )

    async def stop(self) -> None:
        await self.revocations.stop()
        await self.authenticator.usage.stop()
        await self.authenticator.audit.stop()
        self.authenticator.database = None
