"""The crowdfunding a request's path names: the caller's foundation's, else 404."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from kit.db import SessionDep
from services.partners.crowdfundings import service
from services.partners.crowdfundings.auth import CrowdfundingsRead
from services.partners.crowdfundings.models import Crowdfunding


async def valid_crowdfunding(
    crowdfunding_id: uuid.UUID, session: SessionDep, principal: CrowdfundingsRead
) -> Crowdfunding:
    return await service.get(session, principal.organisation_id, crowdfunding_id)


ValidCrowdfunding = Annotated[Crowdfunding, Depends(valid_crowdfunding)]
