"""Partner organisation rules. Never commits: the request's session does."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError

from kit.errors import FieldProblem
from kit.pagination import PageParams
from services.partners.organisations.exceptions import PartnerNameTaken, PartnerNotFound
from services.partners.organisations.models import PartnerOrganisation
from services.partners.organisations.repository import PartnerRepository
from services.partners.organisations.schemas import PartnerCreate


def _name_taken(name: str) -> PartnerNameTaken:
    return PartnerNameTaken(
        f"the foundation already has a partner named {name!r}",
        errors=[FieldProblem(field="name", message="is taken", code="taken")],
    )


async def create(
    repo: PartnerRepository, foundation_id: uuid.UUID, data: PartnerCreate
) -> PartnerOrganisation:
    if await repo.name_taken(foundation_id, data.name):
        raise _name_taken(data.name)
    partner = PartnerOrganisation(
        foundation_id=foundation_id,
        name=data.name,
        kind=data.kind,
        description=data.description,
        website=data.website,
        expertise=data.expertise,
    )
    try:
        await repo.insert(partner)
    except IntegrityError:
        # A concurrent request took the name between the check and the insert.
        if await repo.name_taken(foundation_id, data.name):
            raise _name_taken(data.name) from None
        raise
    return partner


async def get(
    repo: PartnerRepository, foundation_id: uuid.UUID, partner_id: uuid.UUID
) -> PartnerOrganisation:
    """The foundation's partner; another foundation's is 'not found', never 'forbidden'."""
    partner = await repo.get(foundation_id, partner_id)
    if partner is None:
        raise PartnerNotFound(f"no partner organisation {partner_id}")
    return partner


async def list_page(
    repo: PartnerRepository, foundation_id: uuid.UUID, params: PageParams
) -> Sequence[PartnerOrganisation]:
    return await repo.list(foundation_id, params)
