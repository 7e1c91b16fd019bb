from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.responses import Response

from kit.db import SessionDep
from kit.errors import (
    Forbidden,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    Unprocessable,
    problem_responses,
)
from kit.idempotency import IdempotencyDep
from kit.identity import CurrentPrincipal, Principal, Scope, require_scope
from kit.pagination import Page, PageParamsDep, cut_page
from services.network.foundations import service
from services.network.foundations.exceptions import FoundationNotFound, FoundationSlugTaken
from services.network.foundations.models import Foundation
from services.network.foundations.repository import FoundationRepository
from services.network.foundations.schemas import (
    FoundationCreate,
    FoundationRead,
    FoundationUpdate,
    Slug,
)

router = APIRouter(prefix="/api/v1/foundations", tags=["foundations"])


async def foundation_repository(session: SessionDep) -> FoundationRepository:
    return FoundationRepository(session)


FoundationRepositoryDep = Annotated[FoundationRepository, Depends(foundation_repository)]


async def valid_foundation(foundation_id: uuid.UUID, repo: FoundationRepositoryDep) -> Foundation:
    """The path's foundation; the directory is public, so any caller may read it."""
    return await service.get(repo, foundation_id)


ValidFoundation = Annotated[Foundation, Depends(valid_foundation)]


@router.post(
    "",
    status_code=201,
    response_model=FoundationRead,
    summary="Register a foundation in the directory",
    description="Needs the `directory:admin` scope, held by the network's operator. Send an "
    "`Idempotency-Key` so that a retry never registers the foundation twice.",
    dependencies=[require_scope(Scope.DIRECTORY_ADMIN)],
    responses=problem_responses(
        Forbidden,
        FoundationSlugTaken,
        IdempotencyInProgress,
        Unprocessable,
        IdempotencyKeyReused,
    ),
)
async def create_foundation(
    data: FoundationCreate,
    repo: FoundationRepositoryDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
) -> Response:
    replay = await idempotency.claim(repo.session, principal.organisation_id, data)
    if replay is not None:
        return replay
    foundation = await service.create(repo, data)
    return await idempotency.respond(
        repo.session,
        201,
        FoundationRead.model_validate(foundation),
        location=f"/api/v1/foundations/{foundation.id}",
    )


@router.get(
    "",
    response_model=Page[FoundationRead],
    summary="List the network's foundations, newest first",
    dependencies=[require_scope(Scope.FOUNDATIONS_READ)],
    responses=problem_responses(Forbidden, Unprocessable),
)
async def list_foundations(
    repo: FoundationRepositoryDep,
    params: PageParamsDep,
    slug: Annotated[Slug | None, Query(description="only the foundation with this slug")] = None,
) -> Page[FoundationRead]:
    rows = await service.list_page(repo, params, slug=slug)
    foundations, next_cursor = cut_page(rows, params, lambda f: f.id)
    return Page(
        items=[FoundationRead.model_validate(f) for f in foundations], next_cursor=next_cursor
    )


@router.get(
    "/{foundation_id}",
    response_model=FoundationRead,
    summary="Read a foundation",
    dependencies=[require_scope(Scope.FOUNDATIONS_READ)],
    responses=problem_responses(Forbidden, FoundationNotFound),
)
async def get_foundation(foundation: ValidFoundation) -> FoundationRead:
    return FoundationRead.model_validate(foundation)


async def editable_foundation(
    foundation: ValidFoundation, principal: CurrentPrincipal
) -> Foundation:
    """The path's foundation, if the caller may edit it: the network's operator, or the
    foundation itself."""
    if not (principal.has(Scope.DIRECTORY_ADMIN) or _is_itself(principal, foundation)):
        raise Forbidden("only the network's operator or the foundation itself may edit it")
    return foundation


def _is_itself(principal: Principal, foundation: Foundation) -> bool:
    return principal.organisation_id == foundation.id


EditableFoundation = Annotated[Foundation, Depends(editable_foundation)]


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
    data: FoundationUpdate, foundation: EditableFoundation, repo: FoundationRepositoryDep
) -> FoundationRead:
    return FoundationRead.model_validate(await service.update(repo, foundation, data))
