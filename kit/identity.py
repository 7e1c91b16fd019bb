"""The gateway's internal identity token: who is calling, signed by the gateway.

The gateway authenticates the client, then forwards its identity to services in the
``X-Fnet-Identity`` header as a short-lived HS256 JWT. Services verify it on every request
and never trust identity headers a client could have sent. Tokens are bound to an issuer and
audience so that no other JWT signed with a reused secret passes.
"""

from __future__ import annotations

import enum
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Annotated

import jwt
from fastapi import Depends, Header, Request

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
    # Partner organisations' and topic-group members' contact people: personal data, so,
    # like donors:read, held only when given explicitly.
    PARTNER_CONTACTS_READ = "partners:contacts"
    FOUNDATIONS_READ = "foundations:read"
    # Networks, pairings and shared resources (the network service); sync reads with read.
    NETWORK_READ = "network:read"
    NETWORK_WRITE = "network:write"
    # Registering foundations in the shared directory is the network operator's job.
    DIRECTORY_ADMIN = "directory:admin"


ALL_SCOPES = frozenset(
    v for k, v in vars(Scope).items() if not k.startswith("_") and isinstance(v, str)
)
DEFAULT_SCOPES = frozenset(
    ALL_SCOPES - {Scope.DIRECTORY_ADMIN, Scope.DONORS_READ, Scope.PARTNER_CONTACTS_READ}
)


class PrincipalKind(enum.StrEnum):
    """Who stands behind a principal; routes say which kinds they serve."""

    # A foundation's own system (an API key of the foundation).
    FOUNDATION = "foundation"
    # A partner organisation's system: bound to one foundation (``organisation_id``) and
    # one of its partner organisations (``partner_id``); sees only its own part.
    PARTNER = "partner"
    # A signed-in person (a mobile front-end), acting for their organisation.
    PERSON = "person"
    # The network's operator: keeps the shared directory of foundations.
    OPERATOR = "operator"


# Who acts for a foundation as a whole: the default of every route.
FOUNDATION_KINDS = frozenset({PrincipalKind.FOUNDATION, PrincipalKind.PERSON})


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a key or person acting for one organisation.

    ``organisation_id`` is the tenant whose data the caller works on: the foundation, also
    for a partner organisation's key, which ``partner_id`` then names.
    """

    subject: str
    organisation_id: uuid.UUID
    scopes: frozenset[str] = field(default_factory=frozenset)
    kind: PrincipalKind = PrincipalKind.FOUNDATION
    partner_id: uuid.UUID | None = None

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
            "knd": principal.kind.value,
            "iat": issued,
            "exp": issued + self.ttl_seconds,
        }
        if principal.partner_id is not None:
            claims["ptn"] = str(principal.partner_id)
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
            partner = claims.get("ptn")
            principal = Principal(
                subject=str(claims["sub"]),
                organisation_id=uuid.UUID(str(claims["org"])),
                scopes=frozenset(str(s) for s in claims.get("scp", [])),
                kind=PrincipalKind(claims.get("knd", PrincipalKind.FOUNDATION)),
                partner_id=uuid.UUID(str(partner)) if partner is not None else None,
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


class Authorize:
    """A route's access rule: the scope it needs and the kinds of principal it serves.

    Each domain names its rules once, in its ``auth.py``, as ``Annotated`` aliases whose one
    parameter gives the route its principal, checked::

        CampaignsWrite = Annotated[Principal, Depends(Authorize(Scope.CAMPAIGNS_WRITE))]

        async def open_campaign(principal: CampaignsWrite, ...): ...

    A principal of another kind gets 403 (the route exists for everyone; what it holds is
    still guarded by tenancy), as does one without the scope.
    """

    def __init__(
        self, scope: str | None = None, *, kinds: Iterable[PrincipalKind] = FOUNDATION_KINDS
    ) -> None:
        self.scope = scope
        self.kinds = frozenset(kinds)

    async def __call__(self, principal: CurrentPrincipal) -> Principal:
        if principal.kind not in self.kinds:
            raise Forbidden(f"this route is not for a principal of kind {principal.kind.value!r}")
        if self.scope is not None and not principal.has(self.scope):
            raise Forbidden(f"this API key lacks the {self.scope!r} scope")
        return principal
