from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from kit.db import SessionDep
from kit.errors import BadRequest, Forbidden, Unprocessable, problem_responses
from kit.etags import EntityTag, IfMatchDep, IfNoneMatchDep, not_modified
from kit.idempotency import Created, IdempotentCreateDep
from kit.pagination import Page, PageParamsDep
from services.network.auth import NetworkRead, NetworkWrite
from services.network.resources import service
from services.network.resources.dependencies import LockedResource, VisibleResource
from services.network.resources.exceptions import (
    NotInNetwork,
    NotOwner,
    PairingNotUsable,
    ResourceChanged,
    ResourceNotFound,
    ResourceVersionRequired,
)
from services.network.resources.models import Kind
from services.network.resources.schemas import (
    ResourceCreate,
    ResourceRead,
    ResourceUpdate,
    read,
)
from services.network.resources.service import Shared

router = APIRouter(prefix="/api/v1/shared-resources", tags=["shared resources"])


def resource_read(shared: Shared) -> ResourceRead:
    return read(shared.resource, shared.targets)


def etag(shared: Shared) -> EntityTag:
    return EntityTag(str(shared.resource.version))


def _answer(shared: Shared, status_code: int = 200) -> Response:
    return Response(
        resource_read(shared).model_dump_json(),
        status_code=status_code,
        media_type="application/json",
        headers={"ETag": str(etag(shared))},
    )


@router.post(
    "",
    status_code=201,
    response_model=ResourceRead,
    summary="Share a resource",
    description="Owned by the caller's foundation; visible to the public, to networks it is "
    "a member of, or to one of its active pairings. Send an `Idempotency-Key`.",
    responses=problem_responses(Forbidden, NotInNetwork, PairingNotUsable, Unprocessable),
)
async def share_resource(
    principal: NetworkWrite,
    data: ResourceCreate,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def make() -> Created:
        shared = await service.create(session, principal.organisation_id, data)
        return Created(
            resource_read(shared), location=f"/api/v1/shared-resources/{shared.resource.id}"
        )

    answer = await create(data, make)
    body = ResourceRead.model_validate_json(bytes(answer.body))
    answer.headers["ETag"] = f'"{body.version}"'
    return answer


@router.get(
    "",
    response_model=Page[ResourceRead],
    summary="List the shared resources the caller may see, newest first",
    description="For keeping a copy in sync, use `GET /api/v1/sync/changes` instead.",
    responses=problem_responses(Forbidden),
)
async def list_resources(
    principal: NetworkRead,
    session: SessionDep,
    params: PageParamsDep,
    kind: Annotated[Kind | None, Query(description="only this kind")] = None,
    owner_id: Annotated[uuid.UUID | None, Query(description="only this foundation's")] = None,
) -> Page[ResourceRead]:
    rows = await service.list_visible(session, principal, params, kind=kind, owner_id=owner_id)
    return params.page(rows, resource_read, key=lambda s: s.resource.id)


@router.get(
    "/{resource_id}",
    response_model=ResourceRead,
    summary="Read a shared resource",
    description="Answers its `ETag`; with `If-None-Match` naming it, 304.",
    responses={
        304: {"description": "Not modified"},
        **problem_responses(Forbidden, ResourceNotFound),
    },
)
async def get_resource(shared: VisibleResource, preconditions: IfNoneMatchDep) -> Response:
    if preconditions.unchanged(etag(shared)):
        return not_modified(etag(shared))
    return _answer(shared)


@router.patch(
    "/{resource_id}",
    response_model=ResourceRead,
    summary="Change a shared resource (its owner only)",
    description="Needs `If-Match` with the ETag of your last read: 412 if it changed since, "
    "428 without. Narrowing `visibility` removes the resource from the copies of those who "
    "lose it, at their next sync.",
    responses=problem_responses(
        BadRequest,
        Forbidden,
        NotOwner,
        ResourceNotFound,
        ResourceChanged,
        NotInNetwork,
        PairingNotUsable,
        ResourceVersionRequired,
    ),
)
async def update_resource(
    principal: NetworkWrite,
    data: ResourceUpdate,
    shared: LockedResource,
    session: SessionDep,
    preconditions: IfMatchDep,
) -> Response:
    return _answer(await service.update(session, shared, principal, data, preconditions))


@router.delete(
    "/{resource_id}",
    status_code=204,
    summary="Delete a shared resource (its owner only), leaving a tombstone",
    description="Needs `If-Match` (412, 428 as for changes). Every copy learns of the delete "
    "at its next sync.",
    responses=problem_responses(
        BadRequest, Forbidden, NotOwner, ResourceNotFound, ResourceChanged, ResourceVersionRequired
    ),
)
async def delete_resource(
    principal: NetworkWrite,
    shared: LockedResource,
    session: SessionDep,
    preconditions: IfMatchDep,
) -> Response:
    await service.delete(session, shared, principal, preconditions)
    return Response(status_code=204)
