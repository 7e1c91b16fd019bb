"""The campaign a request names, loaded (and locked, where the route's work needs it) by
the dependency, so that routes and services never take the campaign's lock themselves.

- :data:`ValidCampaign`: read it; 404 unless it is the caller's foundation's.
- :data:`HeldCampaign`: for writes that rely on its state (a donation, a spend): held
  against a concurrent change of its state until commit, while other such writes go on.
- :data:`LockedCampaign`: for changing the campaign itself; waits for the writes in flight.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from kit.db import SessionDep
from kit.identity import CurrentPrincipal
from services.donations.campaigns import service
from services.donations.campaigns.models import Campaign
from services.donations.campaigns.repository import CampaignRepository


async def campaign_repository(session: SessionDep) -> CampaignRepository:
    return CampaignRepository(session)


CampaignRepositoryDep = Annotated[CampaignRepository, Depends(campaign_repository)]


async def valid_campaign(
    campaign_id: uuid.UUID, repo: CampaignRepositoryDep, principal: CurrentPrincipal
) -> Campaign:
    """The path's campaign, if it belongs to the caller's foundation; else 404."""
    return await service.get(repo, principal.organisation_id, campaign_id)


ValidCampaign = Annotated[Campaign, Depends(valid_campaign)]


async def held_campaign(
    campaign_id: uuid.UUID, repo: CampaignRepositoryDep, principal: CurrentPrincipal
) -> Campaign:
    """As :func:`valid_campaign`, share-locked until commit: for writes that rely on the
    campaign's state (a donation, a spend), so that a concurrent close or settle waits for
    them instead of slipping in between their check and their write."""
    return await service.get_held(repo, principal.organisation_id, campaign_id)


HeldCampaign = Annotated[Campaign, Depends(held_campaign)]


async def locked_campaign(
    campaign_id: uuid.UUID, repo: CampaignRepositoryDep, principal: CurrentPrincipal
) -> Campaign:
    """As :func:`valid_campaign`, locked exclusively until commit: for changing it."""
    return await service.get_locked(repo, principal.organisation_id, campaign_id)


LockedCampaign = Annotated[Campaign, Depends(locked_campaign)]
