"""API key rules. Never commits: the caller's session does.

A key is ``fnet_<prefix>_<secret>``: ``prefix`` is 12 random base32 characters, stored and
indexed; ``secret`` is ``secrets.token_urlsafe(32)`` (256 bits), of which only the SHA-256
is stored. A fast hash is right here: the secret is random and long, so there is nothing to
guess, unlike a password (those get argon2).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.keys.exceptions import InvalidKeyRequest, KeyNotFound
from gateway.keys.models import ApiKey
from gateway.keys.repository import ApiKeyRepository
from kit.db import utcnow
from kit.errors import FieldProblem
from kit.identity import ALL_SCOPES, DEFAULT_SCOPES, Principal, PrincipalKind, Scope

KEY_START = "fnet_"
PREFIX_LENGTH = 12
PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_PREFIX_CHARS = frozenset(PREFIX_ALPHABET)
_SECRET_START = len(KEY_START) + PREFIX_LENGTH + 1
MAX_KEY_LENGTH = 256
MAX_NAME_LENGTH = 200


@dataclass(frozen=True, slots=True)
class PresentedKey:
    prefix: str
    secret: str


def parse_key(presented: str) -> PresentedKey | None:
    """The parts of a presented key, or None if it cannot be one of ours."""
    if (
        len(presented) <= _SECRET_START
        or len(presented) > MAX_KEY_LENGTH
        or not presented.startswith(KEY_START)
        or presented[_SECRET_START - 1] != "_"
    ):
        return None
    prefix = presented[len(KEY_START) : _SECRET_START - 1]
    if not _PREFIX_CHARS.issuperset(prefix):
        return None
    return PresentedKey(prefix, presented[_SECRET_START:])


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), secret_hash)


# What a partner organisation's key may hold: its collaborations and grants, read and
# reported on. The services still decide, by the key's kind, what it reaches.
PARTNER_SCOPES = frozenset({Scope.PARTNERS_READ, Scope.PARTNERS_WRITE})


def principal_of(key: ApiKey) -> Principal:
    return Principal(
        subject=f"key:{key.prefix}",
        organisation_id=key.organisation_id,
        scopes=frozenset(key.scopes),
        kind=PrincipalKind(key.kind),
        partner_id=key.partner_id,
    )


def _checked_scopes(scopes: Iterable[str]) -> list[str]:
    chosen = sorted(set(scopes))
    unknown = [s for s in chosen if s not in ALL_SCOPES]
    if unknown:
        raise InvalidKeyRequest(
            f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(sorted(ALL_SCOPES))}",
            errors=[
                FieldProblem(field="scopes", message=f"unknown scope {s!r}", code="scope")
                for s in unknown
            ],
        )
    return chosen


def _checked_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        raise InvalidKeyRequest(
            f"name must be 1 to {MAX_NAME_LENGTH} characters",
            errors=[FieldProblem(field="name", message="empty or too long", code="length")],
        )
    return name


async def create_key(
    session: AsyncSession,
    *,
    organisation_id: uuid.UUID,
    name: str,
    scopes: frozenset[str] = DEFAULT_SCOPES,
    partner_id: uuid.UUID | None = None,
    expires_at: dt.datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key for the organisation: the record and the plaintext key, which exists only
    in this return value. With ``partner_id`` it is that partner organisation's key (kind
    partner, bound to the foundation ``organisation_id``; scopes within
    :data:`PARTNER_SCOPES`, which it gets by default). The caller has made sure the partner
    is the foundation's. Raises :class:`InvalidKeyRequest` for an empty name or an unknown
    scope, or a scope a partner key may not hold."""
    kind = PrincipalKind.FOUNDATION
    if partner_id is not None:
        kind = PrincipalKind.PARTNER
        scopes = PARTNER_SCOPES if scopes is DEFAULT_SCOPES else scopes
        beyond = sorted(set(scopes) - PARTNER_SCOPES)
        if beyond:
            raise InvalidKeyRequest(
                f"a partner key may hold only {', '.join(sorted(PARTNER_SCOPES))}",
                errors=[
                    FieldProblem(
                        field="scopes", message=f"not for a partner key: {s}", code="scope"
                    )
                    for s in beyond
                ],
            )
    prefix = "".join(secrets.choice(PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        prefix=prefix,
        name=_checked_name(name),
        organisation_id=organisation_id,
        scopes=_checked_scopes(scopes),
        kind=kind,
        partner_id=partner_id,
        secret_hash=hash_secret(secret),
        created_at=utcnow(),
        expires_at=_checked_expiry(expires_at),
    )
    ApiKeyRepository(session).add(key)
    await session.flush()
    return key, f"{KEY_START}{prefix}_{secret}"


def _checked_expiry(expires_at: dt.datetime | None) -> dt.datetime | None:
    if expires_at is not None and expires_at.tzinfo is None:
        raise InvalidKeyRequest(
            "expires_at needs a time zone, e.g. 2027-01-01T00:00:00+08:00",
            errors=[FieldProblem(field="expires_at", message="no time zone", code="timezone")],
        )
    return expires_at


def key_state(key: ApiKey, now: dt.datetime | None = None) -> str:
    if key.revoked:
        return "revoked"
    return "expired" if key.expired(now or utcnow()) else "active"


def key_fields(key: ApiKey) -> dict[str, Any]:
    """A key as :class:`~gateway.keys.schemas.ApiKeyRead` shows it."""
    return {
        "expires_at": key.expires_at,
        "last_used_at": key.last_used_at,
        "replaced_by_id": key.replaced_by_id,
        "state": key_state(key),
        "id": key.id,
        "prefix": key.prefix,
        "name": key.name,
        "organisation_id": key.organisation_id,
        "scopes": list(key.scopes),
        "kind": PrincipalKind(key.kind).value,
        "partner_id": key.partner_id,
        "created_at": key.created_at,
        "revoked_at": key.revoked_at,
        "revoked": key.revoked,
    }


async def list_keys(
    session: AsyncSession, *, organisation_id: uuid.UUID | None = None
) -> Sequence[ApiKey]:
    """Keys newest first, revoked ones included; of one organisation, or of all."""
    return await ApiKeyRepository(session).list(organisation_id)


async def revoke_key(session: AsyncSession, key_id: uuid.UUID) -> ApiKey:
    """Revoke a key (revoking it again changes nothing). Raises :class:`KeyNotFound`.

    Once the session commits, the caller announces it to every gateway
    (:meth:`gateway.revocations.Revocations.key_changed`); a gateway that missed the
    announcement stops accepting the key within its ``key_cache_seconds``."""
    key = await ApiKeyRepository(session).get(key_id)
    if key is None:
        raise KeyNotFound(f"no API key {key_id}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
    return key


async def get_key(
    session: AsyncSession, key_id: uuid.UUID, *, organisation_id: uuid.UUID | None = None
) -> ApiKey:
    """The key; of ``organisation_id`` when given (another's is "not found" too)."""
    key = await ApiKeyRepository(session).get(key_id)
    if key is None or (organisation_id is not None and key.organisation_id != organisation_id):
        raise KeyNotFound(f"no API key {key_id}")
    return key


async def update_key(
    session: AsyncSession,
    key: ApiKey,
    *,
    name: str | None = None,
    expires_at: dt.datetime | None = None,
) -> ApiKey:
    if name is not None:
        key.name = _checked_name(name)
    if expires_at is not None:
        key.expires_at = _checked_expiry(expires_at)
    await session.flush()
    return key


async def rotate_key(
    session: AsyncSession, key: ApiKey, *, grace: dt.timedelta
) -> tuple[ApiKey, str]:
    """A new key like ``key`` (name, scopes, kind, partner, expiry); the old one keeps
    working for ``grace`` (not past its own expiry), so clients can switch without a gap.
    Raises :class:`InvalidKeyRequest` for a revoked or expired key."""
    now = utcnow()
    if key.revoked or key.expired(now):
        raise InvalidKeyRequest(
            f"API key {key.id} is {key_state(key, now)}: make a new one instead"
        )
    new, plaintext = await create_key(
        session,
        organisation_id=key.organisation_id,
        name=key.name,
        scopes=frozenset(key.scopes),
        partner_id=key.partner_id,
        expires_at=key.expires_at,
    )
    ends = now + grace
    key.expires_at = ends if key.expires_at is None else min(key.expires_at, ends)
    key.replaced_by_id = new.id
    await session.flush()
    return new, plaintext


async def find_active(session: AsyncSession, prefix: str) -> ApiKey | None:
    """The key with this prefix if it exists and is not revoked."""
    key = await ApiKeyRepository(session).get_by_prefix(prefix)
    return None if key is None or key.revoked else key


async def authenticate(session: AsyncSession, presented: str) -> Principal | None:
    """Who a presented key acts as; None if it is malformed, unknown, revoked or wrong.

    The gateway's proxy path does the same through its cache (:mod:`gateway.auth`)."""
    parsed = parse_key(presented)
    if parsed is None:
        return None
    key = await find_active(session, parsed.prefix)
    if key is None or key.expired(utcnow()) or not secret_matches(parsed.secret, key.secret_hash):
        return None
    return principal_of(key)
