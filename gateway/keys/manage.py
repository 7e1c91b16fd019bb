"""An organisation's admins manage its API keys through the API: make, list (never the
secrets), read, rename or set to expire, rotate (old and new both work for a grace
period) and revoke. The operator does the same for any organisation it names.

A key is made only for a foundation the network's directory lists, and a partner key only
for one of the foundation's own, current partner organisations. Every change is in the
audit log; a revocation, rotation or new expiry reaches every gateway at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from fastapi import APIRouter, Request

from gateway.audit import service as audit
from gateway.directory import (
    PartnerArchived,
    PartnerNotFound,
    UnknownOrganisation,
    check_foundation,
    check_partner,
)
from gateway.keys import service
from gateway.keys.exceptions import InvalidKeyRequest, KeyNotFound
from gateway.keys.models import ApiKey
from gateway.keys.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    ApiKeyRotate,
    ApiKeyUpdate,
)
from gateway.people.dependencies import AdminDep, client_ip, required_organisation
from gateway.people.exceptions import NotAdmin
from kit.db import Database, transaction
from kit.errors import ServiceUnavailable, Unauthorized, problem_responses
from kit.identity import DEFAULT_SCOPES

if TYPE_CHECKING:
    from gateway.identity import Identity

PATH = "/api/v1/api-keys"

router = APIRouter(tags=["api keys"])

_COMMON = (Unauthorized, NotAdmin)


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _identity(request: Request) -> Identity:
    identity: Identity = request.app.state.identity
    return identity


def _read(key: ApiKey) -> ApiKeyRead:
    return ApiKeyRead.model_validate(service.key_fields(key))


@router.get(
    PATH,
    response_model=list[ApiKeyRead],
    summary="The organisation's API keys, newest first, revoked ones included",
    description="Never their secrets. For the organisation's admins; the operator names it.",
    responses=problem_responses(*_COMMON),
)
async def list_keys(request: Request, admin: AdminDep) -> list[ApiKeyRead]:
    organisation_id = required_organisation(admin)
    async with transaction(_database(request), write=False) as session:
        keys = await service.list_keys(session, organisation_id=organisation_id)
    return [_read(k) for k in keys]


@router.post(
    PATH,
    status_code=201,
    response_model=ApiKeyCreated,
    summary="Make an API key for the organisation",
    description=(
        "The answer holds the key, once: store it now. With `partner_id` the key is that "
        "partner organisation's (kind `partner`, scopes within partners:read and "
        "partners:write), which must be one of the foundation's own, current partners."
    ),
    responses=problem_responses(
        *_COMMON,
        InvalidKeyRequest,
        UnknownOrganisation,
        PartnerNotFound,
        PartnerArchived,
        ServiceUnavailable,
    ),
)
async def create_key(request: Request, data: ApiKeyCreate, admin: AdminDep) -> ApiKeyCreated:
    organisation_id = required_organisation(admin)
    await check_foundation(request, organisation_id)
    if data.partner_id is not None:
        await check_partner(request, organisation_id, data.partner_id)
    async with transaction(_database(request), write=True) as session:
        record, plaintext = await service.create_key(
            session,
            organisation_id=organisation_id,
            name=data.name,
            scopes=frozenset(data.scopes) if data.scopes is not None else DEFAULT_SCOPES,
            partner_id=data.partner_id,
            expires_at=data.expires_at,
        )
        await audit.record(
            session,
            "key.created",
            actor=admin.caller.actor,
            organisation_id=organisation_id,
            target=f"key:{record.prefix}",
            client_ip=client_ip(request),
            details={"scopes": list(record.scopes), "kind": record.kind.value},
        )
        return ApiKeyCreated.model_validate({**service.key_fields(record), "key": plaintext})


@router.get(
    PATH + "/{key_id}",
    response_model=ApiKeyRead,
    summary="One of the organisation's API keys",
    responses=problem_responses(*_COMMON, KeyNotFound),
)
async def get_key(request: Request, key_id: uuid.UUID, admin: AdminDep) -> ApiKeyRead:
    async with transaction(_database(request), write=False) as session:
        key = await service.get_key(session, key_id, organisation_id=admin.organisation_id)
    return _read(key)


@router.patch(
    PATH + "/{key_id}",
    response_model=ApiKeyRead,
    summary="Rename a key or set when it expires",
    description="An `expires_at` in the past ends the key at once, on every gateway.",
    responses=problem_responses(*_COMMON, KeyNotFound, InvalidKeyRequest),
)
async def update_key(
    request: Request, key_id: uuid.UUID, data: ApiKeyUpdate, admin: AdminDep
) -> ApiKeyRead:
    async with transaction(_database(request), write=True) as session:
        key = await service.get_key(session, key_id, organisation_id=admin.organisation_id)
        await service.update_key(session, key, name=data.name, expires_at=data.expires_at)
        if data.expires_at is not None:
            await audit.record(
                session,
                "key.expiry_set",
                actor=admin.caller.actor,
                organisation_id=key.organisation_id,
                target=f"key:{key.prefix}",
                client_ip=client_ip(request),
                details={"expires_at": data.expires_at.isoformat()},
            )
    await _identity(request).revocations.key_changed(key.prefix)
    return _read(key)


@router.post(
    PATH + "/{key_id}/rotate",
    status_code=201,
    response_model=ApiKeyCreated,
    summary="Rotate a key: a new one now, the old one until the grace period ends",
    description=(
        "The new key has the old one's name, scopes, kind and expiry; the old one expires "
        "after `grace_seconds` (default a day, 0 ends it at once). The new key is in this "
        "answer only."
    ),
    responses=problem_responses(*_COMMON, KeyNotFound, InvalidKeyRequest),
)
async def rotate_key(
    request: Request, key_id: uuid.UUID, admin: AdminDep, data: ApiKeyRotate | None = None
) -> ApiKeyCreated:
    grace = dt.timedelta(seconds=(data or ApiKeyRotate()).grace_seconds)
    async with transaction(_database(request), write=True) as session:
        old = await service.get_key(session, key_id, organisation_id=admin.organisation_id)
        new, plaintext = await service.rotate_key(session, old, grace=grace)
        await audit.record(
            session,
            "key.rotated",
            actor=admin.caller.actor,
            organisation_id=old.organisation_id,
            target=f"key:{old.prefix}",
            client_ip=client_ip(request),
            details={"new_key": new.prefix, "grace_seconds": int(grace.total_seconds())},
        )
    await _identity(request).revocations.key_changed(old.prefix)
    return ApiKeyCreated.model_validate({**service.key_fields(new), "key": plaintext})


@router.delete(
    PATH + "/{key_id}",
    response_model=ApiKeyRead,
    summary="Revoke a key, at once and on every gateway",
    description="Revoking a revoked key changes nothing. The key stays listed, as revoked.",
    responses=problem_responses(*_COMMON, KeyNotFound),
)
async def revoke_key(request: Request, key_id: uuid.UUID, admin: AdminDep) -> ApiKeyRead:
    async with transaction(_database(request), write=True) as session:
        key = await service.get_key(session, key_id, organisation_id=admin.organisation_id)
        was_active = not key.revoked
        await service.revoke_key(session, key.id)
        if was_active:
            await audit.record(
                session,
                "key.revoked",
                actor=admin.caller.actor,
                organisation_id=key.organisation_id,
                target=f"key:{key.prefix}",
                client_ip=client_ip(request),
            )
    await _identity(request).revocations.key_changed(key.prefix)
    return _read(key)
