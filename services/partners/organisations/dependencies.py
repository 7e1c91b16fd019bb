"""The partner organisation a request's path names, loaded by the dependency.

- :data:`ValidPartner`: the foundation's partner; 404 unless it is the caller's foundation's.
- :data:`LockedPartner`: the same, locked until commit, for changing it.
- :data:`OwnPartner`: as ValidPartner, and for a partner organisation's key only its own.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from kit.db import SessionDep
from kit.identity import PrincipalKind
from services.partners.organisations import service
from services.partners.organisations.auth import OwnPartnerRead, PartnersRead, PartnersWrite
from services.partners.organisations.exceptions import PartnerNotFound
from services.partners.organisations.models import PartnerOrganisation


async def valid_partner(
    partner_id: uuid.UUID, session: SessionDep, principal: PartnersRead
) -> PartnerOrganisation:
    return await service.get(session, principal.organisation_id, partner_id)


ValidPartner = Annotated[PartnerOrganisation, Depends(valid_partner)]


async def locked_partner(
    partner_id: uuid.UUID, session: SessionDep, principal: PartnersWrite
) -> PartnerOrganisation:
    return await service.get(session, principal.organisation_id, partner_id, for_update=True)


LockedPartner = Annotated[PartnerOrganisation, Depends(locked_partner)]


async def own_partner(
    partner_id: uuid.UUID, session: SessionDep, principal: OwnPartnerRead
) -> PartnerOrganisation:
    if principal.kind is PrincipalKind.PARTNER and principal.partner_id != partner_id:
        raise PartnerNotFound(f"no partner organisation {partner_id}")
    return await service.get(session, principal.organisation_id, partner_id)


OwnPartner = Annotated[PartnerOrganisation, Depends(own_partner)]
