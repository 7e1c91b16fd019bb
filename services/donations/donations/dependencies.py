"""The donation a request names, loaded by the dependency: routes and services get it
checked (404 unless it was given to the path's campaign, itself the caller's)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from kit.db import SessionDep
from services.donations.campaigns.dependencies import ValidCampaign
from services.donations.donations import service
from services.donations.donations.models import Donation


async def valid_donation(
    donation_id: uuid.UUID, campaign: ValidCampaign, session: SessionDep
) -> Donation:
    """The path's donation, if it was given to the path's campaign; else 404."""
    return await service.get(session, campaign, donation_id)


ValidDonation = Annotated[Donation, Depends(valid_donation)]
