from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from kit.db import SessionDep
from kit.errors import Forbidden, Unprocessable, problem_responses
from kit.identity import Scope, require_scope
from kit.money import MoneyOut
from kit.pagination import Page, PageParamsDep, cut_page
from services.partners.grants import service
from services.partners.grants.models import PartnerGrant
from services.partners.grants.repository import PartnerGrantRepository
from services.partners.grants.schemas import PartnerGrantRead
from services.partners.organisations.exceptions import PartnerNotFound
from services.partners.organisations.router import ValidPartner

router = APIRouter(prefix="/api/v1/partners/{partner_id}/grants", tags=["partners"])


async def partner_grant_repository(session: SessionDep) -> PartnerGrantRepository:
    return PartnerGrantRepository(session)


PartnerGrantRepositoryDep = Annotated[PartnerGrantRepository, Depends(partner_grant_repository)]


def grant_read(grant: PartnerGrant) -> PartnerGrantRead:
    return PartnerGrantRead(
        id=grant.id,
        partner_organisation_id=grant.partner_organisation_id,
        campaign_id=grant.campaign_id,
        amount=MoneyOut.from_minor(grant.amount_minor, grant.currency),
        purpose=grant.purpose,
        paid_at=grant.paid_at,
        recorded_at=grant.created_at,
    )


@router.get(
    "",
    response_model=Page[PartnerGrantRead],
    summary="List the grants the foundation paid to a partner organisation, newest first",
    description=(
        "Kept from the donations service's `donations.grant.paid` events: a grant appears "
        "here shortly after it is paid."
    ),
    dependencies=[require_scope(Scope.PARTNERS_READ)],
    responses=problem_responses(Forbidden, PartnerNotFound, Unprocessable),
)
async def list_partner_grants(
    partner: ValidPartner, repo: PartnerGrantRepositoryDep, params: PageParamsDep
) -> Page[PartnerGrantRead]:
    rows = await service.list_page(repo, partner, params)
    grants, next_cursor = cut_page(rows, params, lambda g: g.id)
    return Page(items=[grant_read(g) for g in grants], next_cursor=next_cursor)
