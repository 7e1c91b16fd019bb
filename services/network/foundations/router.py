from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from kit.db import SessionDep
from kit.errors import Forbidden, Unprocessable, problem_responses
from kit.idempotency import Created, IdempotentCreateDep
from kit.pagination import Page, PageParamsDep
from services.network.foundations import service
from services.network.foundations.auth import DirectoryAdmin
from services.network.foundations.dependencies import EditableFoundation, ValidFoundation
from services.network.foundations.exceptions import FoundationNotFound, FoundationSlugTaken
from services.network.foundations.schemas import (
    FoundationCreate,
    FoundationRead,
    FoundationUpdate,
    Place,
    Slug,
)

router = APIRouter(prefix="/api/v1/foundations", tags=["foundations"])
# The directory's reads: public, through the gateway without a key (gateway/routes.py).
public_router = APIRouter(prefix="/api/v1/foundations", tags=["foundations"])


@router.post(
    "",
    status_code=201,
    response_model=FoundationRead,
    summary="Register a foundation in the directory",
    description="Needs the `directory:admin` scope, held by the network's operator. Send an "
    "`Idempotency-Key` so that a retry never registers the foundation twice.",
    responses=problem_responses(Forbidden, FoundationSlugTaken, Unprocessable),
)
async def create_foundation(
    principal: DirectoryAdmin,
    data: FoundationCreate,
    session: SessionDep,
    create: IdempotentCreateDep,
) -> Response:
    async def register() -> Created:
        foundation = await service.create(session, data)
        return Created(
            FoundationRead.model_validate(foundation),
            location=f"/api/v1/foundations/{foundation.id}",
        )

    return await create(data, register)


@public_router.get(
    "",
    response_model=Page[FoundationRead],
    summary="Search the directory of foundations, newest first",
    description="Public: no key needed. `name` matches part of the Chinese or English name "
    "(any case); `city` and `region` match whole (any case).",
    responses=problem_responses(Unprocessable),
)
async def list_foundations(
    *,
    session: SessionDep,
    params: PageParamsDep,
    slug: Annotated[Slug | None, Query(description="only the foundation with this slug")] = None,
    name: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="part of the Chinese or English name"),
    ] = None,
    city: Annotated[Place | None, Query(description="e.g. Shenzhen")] = None,
    region: Annotated[Place | None, Query(description="e.g. Nanshan")] = None,
) -> Page[FoundationRead]:
    rows = await service.search(session, params, slug=slug, name=name, city=city, region=region)
    return params.page(rows, FoundationRead.model_validate)


@public_router.get(
    "/{foundation_id}",
    response_model=FoundationRead,
    summary="Read a foundation's public profile",
    description="Public: no key needed.",
    responses=problem_responses(FoundationNotFound),
)
async def get_foundation(foundation: ValidFoundation) -> FoundationRead:
    return FoundationRead.model_validate(foundation)


@router.patch(
    "/{foundation_id}",
    response_model=FoundationRead,
    summary="Change a foundation's directory entry",
    description="The network's operator (`directory:admin`) may edit any foundation; a "
    "foundation may edit its own entry. Send only the fields to change; `null` clears an "
    "optional one. The slug cannot change. Other services learn of the change by the "
    "`network.foundation.updated` event.",
    responses=problem_responses(Forbidden, FoundationNotFound, Unprocessable),
)
async def update_foundation(
    data: FoundationUpdate, foundation: EditableFoundation, session: SessionDep
) -> FoundationRead:
    return FoundationRead.model_validate(await service.update(session, foundation, data))
