from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
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
from kit.identity import CurrentPrincipal, Scope, require_scope
from kit.pagination import Page, PageParamsDep, cut_page
from services.partners.organisations import service
from services.partners.organisations.exceptions import PartnerNameTaken, PartnerNotFound
from services.partners.organisations.models import PartnerOrganisation
from services.partners.organisations.repository import PartnerRepository
from services.partners.organisations.schemas import PartnerCreate, PartnerRead

router = APIRouter(prefix="/api/v1/partners", tags=["partners"])


async def partner_repository(session: SessionDep) -> PartnerRepository:
    return PartnerRepository(session)


PartnerRepositoryDep = Annotated[PartnerRepository, Depends(partner_repository)]


async def valid_partner(
    partner_id: uuid.UUID, repo: PartnerRepositoryDep, principal: CurrentPrincipal
) -> PartnerOrganisation:
    """The path's partner, if it belongs to the caller's foundation; else 404."""
    return await service.get(repo, principal.organisation_id, partner_id)


ValidPartner = Annotated[PartnerOrganisation, Depends(valid_partner)]


@router.post(
    "",
    status_code=201,
    response_model=PartnerRead,
    summary="Add a partner organisation",
    description="Send an `Idempotency-Key` so that a retry never adds the partner twice.",
    dependencies=[require_scope(Scope.PARTNERS_WRITE)],
    responses=problem_responses(
        Forbidden,
        PartnerNameTaken,
        IdempotencyInProgress,
        Unprocessable,
        IdempotencyKeyReused,
    ),
)
async def create_partner(
    data: PartnerCreate,
    repo: PartnerRepositoryDep,
    principal: CurrentPrincipal,
    idempotency: IdempotencyDep,
) -> Response:
    foundation_id = principal.organisation_id
    replay = await idempotency.claim(repo.session, foundation_id, data)
    if replay is not None:
        return replay
    partner = await service.create(repo, foundation_id, data)
    return await idempotency.respond(
        repo.session,
        201,
        PartnerRead.model_validate(partner),
        location=f"/api/v1/partners/{partner.id}",
    )


@router.get(
    "",
    response_model=Page[PartnerRead],
    summary="List the foundation's partner organisations, newest first",
    dependencies=[require_scope(Scope.PARTNERS_READ)],
    responses=problem_responses(Forbidden, Unprocessable),
)
async def list_partners(
    repo: PartnerRepositoryDep, principal: CurrentPrincipal, params: PageParamsDep
) -> Page[PartnerRead]:
    rows = await service.list_page(repo, principal.organisation_id, params)
    partners, next_cursor = cut_page(rows, params, lambda p: p.id)
    return Page(items=[PartnerRead.model_validate(p) for p in partners], next_cursor=next_cursor)


@router.get(
    "/{partner_id}",
    response_model=PartnerRead,
    summary="Read a partner organisation",
    dependencies=[require_scope(Scope.PARTNERS_READ)],
    responses=problem_responses(Forbidden, PartnerNotFound),
)
async def get_partner(partner: ValidPartner) -> PartnerRead:
    return PartnerRead.model_validate(partner)
