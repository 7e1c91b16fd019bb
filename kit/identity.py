"""The gateway's internal identity token: who is calling, signed by the gateway.

The gateway authenticates the client, then forwards its identity to services in the
``X-Fnet-Identity`` header as a short-lived HS256 JWT. Services verify it on every request
and never trust identity headers a client could have sent. Tokens are bound to an issuer and
audience so that no other JWT signed with a reused secret passes.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Annotated

import jwt
from fastapi import Depends, Header, Request, params

from kit.errors import Forbidden, Unauthorized

IDENTITY_HEADER = "x-fnet-identity"
ISSUER = "fnet-gateway"
AUDIENCE = "fnet-services"
ALGORITHM = "HS256"
DEFAULT_TTL_SECONDS = 60
# Clocks of the gateway and a service may disagree a little.
LEEWAY_SECONDS = 5


class Scope:
    """The scopes a principal may hold. Keys get :data:`DEFAULT_SCOPES` unless told otherwise."""

    CAMPAIGNS_READ = "campaigns:read"
    CAMPAIGNS_WRITE = "campaigns:write"
    DONATIONS_WRITE = "donations:write"
    # Purchases, expenses and distributions spend what a campaign holds.
    SPENDING_WRITE = "spending:write"
    # Approving or rejecting an expense; never one's own (the service checks that too).
    EXPENSES_APPROVE = "expenses:approve"
    GRANTS_WRITE = "grants:write"
    LEDGER_READ = "ledger:read"
    # Donors' contact details and platform ids: personal data (PIPL), so no key holds this
    # unless it is given explicitly (`fnet keys create --scope donors:read ...`).
    DONORS_READ = "donors:read"
    DISCLOSURES_WRITE = "disclosures:write"
    PARTNERS_READ = "partners:read"
    PARTNERS_WRITE = "partners:write"
    FOUNDATIONS_READ = "foundations:read"
    # Registering foundations in the shared directory is the network operator's job.
    DIRECTORY_ADMIN = "directory:admin"


ALL_SCOPES = frozenset(
    v for k, v in vars(Scope).items() if not k.startswith("_") and isinstance(v, str)
)
DEFAULT_SCOPES = frozenset(ALL_SCOPES - {Scope.DIRECTORY_ADMIN, Scope.DONORS_READ})


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a key or user acting for one organisation."""

    subject: str
    organisation_id: uuid.UUID
    scopes: frozenset[str] = field(default_factory=frozenset)

    def has(self, scope: str) -> bool:
        return scope in self.scopes


class TokenSigner:
    def __init__(self, secret: str, *, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    def sign(self, principal: Principal, *, now: float | None = None) -> str:
        issued = int(now if now is not None else time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": principal.subject,
            "org": str(principal.organisation_id),
            "scp": sorted(principal.scopes),
            "iat": issued,
            "exp": issued + self.ttl_seconds,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)


class TokenVerifier:
    """Verifies identity tokens; remembers recent good ones, since the gateway reuses them."""

    def __init__(self, secret: str, *, cache_size: int = 4096) -> None:
        self._secret = secret
        self._cache: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._cache_size = cache_size

    def verify(self, token: str) -> Principal:
        now = time.time()
        cached = self._cache.get(token)
        if cached is not None and cached[1] > now:
            return cached[0]
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "sub", "org"]},
            )
            principal = Principal(
                subject=str(claims["sub"]),
                organisation_id=uuid.UUID(str(claims["org"])),
                scopes=frozenset(str(s) for s in claims.get("scp", [])),
            )
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise Unauthorized("missing or invalid gateway identity token") from exc
        self._cache[token] = (principal, float(claims["exp"]))
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return principal


async def current_principal(
    request: Request,
    token: Annotated[
        str | None,
        Header(alias=IDENTITY_HEADER, include_in_schema=False),
    ] = None,
) -> Principal:
    if not token:
        raise Unauthorized("this service only answers requests forwarded by the gateway")
    verifier: TokenVerifier = request.app.state.token_verifier
    return verifier.verify(token)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_scope(scope: str) -> params.Depends:
    """A dependency that refuses principals without ``scope`` (403)."""

    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.has(scope):
            raise Forbidden(f"this API key lacks the {scope!r} scope")
        return principal

    dependency: params.Depends = Depends(check)
    return dependency
