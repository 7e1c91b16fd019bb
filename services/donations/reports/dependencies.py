"""What the public routes load: the campaign anyone may read about."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from kit.db import SessionDep
from services.donations.campaigns.models import Campaign
from services.donations.reports import service


async def public_campaign(campaign_id: uuid.UUID, session: SessionDep) -> Campaign:
    """The path's campaign, any foundation's, unless it is a draft (404 like unknown)."""
    return await service.public_campaign(session, campaign_id)


PublicCampaign = Annotated[Campaign, Depends(public_campaign)]
