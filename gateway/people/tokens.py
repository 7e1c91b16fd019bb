"""People's access tokens: HS256 JWTs the gateway signs for itself.

They are bound to their own issuer and audience (``fnet-api``, never the services'
``fnet-services``), carry ``typ: access``, and are signed with a key derived from the
internal token secret for this one purpose, so no identity token (nor any other JWT) is
accepted as an access token, nor the other way round. The claims name the person
(``sub``) and the session (``sid``); what the person may do comes from the session's
membership, read (and cached) by the gateway, so that a revoked session or a changed role
is honoured before the token expires.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass

import jwt

from gateway.people.exceptions import InvalidAccessToken

ISSUER = "fnet-gateway"
AUDIENCE = "fnet-api"
ALGORITHM = "HS256"
TYPE = "access"
LEEWAY_SECONDS = 5


@dataclass(frozen=True, slots=True)
class AccessClaims:
    person_id: uuid.UUID
    session_id: uuid.UUID
    expires_at: float


def derive_key(internal_secret: str) -> bytes:
    return hmac.new(
        internal_secret.encode(), b"fnet people access tokens v1", hashlib.sha256
    ).digest()


def looks_like_jwt(presented: str) -> bool:
    return presented.count(".") == 2 and presented.startswith("ey")


class AccessTokens:
    """Issues and verifies access tokens; remembers recently verified ones (a client sends
    the same token with every request for minutes)."""

    def __init__(self, key: bytes, *, ttl_seconds: int, cache_size: int = 10_000) -> None:
        self._key = key
        self.ttl_seconds = ttl_seconds
        self._verified: OrderedDict[str, AccessClaims] = OrderedDict()
        self._cache_size = cache_size

    def issue(
        self, person_id: uuid.UUID, session_id: uuid.UUID, *, now: float | None = None
    ) -> str:
        issued = int(now if now is not None else time.time())
        claims = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "typ": TYPE,
            "sub": str(person_id),
            "sid": str(session_id),
            "jti": secrets.token_urlsafe(12),
            "iat": issued,
            "exp": issued + self.ttl_seconds,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM)

    def verify(self, token: str) -> AccessClaims:
        """The token's claims; raises :class:`InvalidAccessToken` if it is expired,
        forged, for another audience or issuer, or not an access token."""
        now = time.time()
        known = self._verified.get(token)
        if known is not None:
            if known.expires_at + LEEWAY_SECONDS > now:
                return known
            del self._verified[token]
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "sub", "sid", "aud", "iss"]},
            )
            if claims.get("typ") != TYPE:
                raise InvalidAccessToken("this is not an access token")
            verified = AccessClaims(
                uuid.UUID(str(claims["sub"])), uuid.UUID(str(claims["sid"])), float(claims["exp"])
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidAccessToken(
                "the access token has expired; get a new one with the refresh token"
            ) from exc
        except (jwt.PyJWTError, ValueError, TypeError) as exc:
            raise InvalidAccessToken() from exc
        self._verified[token] = verified
        if len(self._verified) > self._cache_size:
            self._verified.popitem(last=False)
        return verified
