from __future__ import annotations

from fastapi import APIRouter

from kit.db import SessionDep
from kit.errors import Forbidden, Unprocessable, problem_responses
from kit.money import MoneyOut
from kit.pagination import Page, PageParamsDep
from services.partners.grants import service
from services.partners.grants.models import PartnerGrant
from services.partners.grants.schemas import PartnerGrantRead
from services.partners.organisations.dependencies import OwnPartner
from services.partners.organisations.exceptions import PartnerNotFound

router = APIRouter(prefix="/api/v1/partners/{partner_id}/grants", tags=["partners"])


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
        "here shortly after it is paid. A partner organisation's own key may list its own."
    ),
    responses=problem_responses(Forbidden, PartnerNotFound, Unprocessable),
)
async def list_partner_grants(
    partner: OwnPartner, session: SessionDep, params: PageParamsDep
) -> Page[PartnerGrantRead]:
    return params.page(await service.list_page(session, partner, params), grant_read)
