"""Campaign rules. Never commits: the request's session does."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from kit.db import utcnow
from kit.errors import FieldProblem
from kit.pagination import PageParams
from services.donations.campaigns.exceptions import CampaignNotFound, InvalidCampaignPeriod
from services.donations.campaigns.models import Campaign
from services.donations.campaigns.repository import CampaignRepository, Totals
from services.donations.campaigns.schemas import CampaignCreate


async def create(
    repo: CampaignRepository, foundation_id: uuid.UUID, data: CampaignCreate
) -> Campaign:
    starts_at = data.starts_at or utcnow()
    if data.ends_at is not None and data.ends_at <= starts_at:
        raise InvalidCampaignPeriod(
            "ends_at must be after starts_at",
            errors=[
                FieldProblem(field="ends_at", message="must be after starts_at", code="period")
            ],
        )
    goal = data.goal.to_money()
    campaign = Campaign(
        foundation_id=foundation_id,
        title=data.title,
        purpose=data.purpose,
        goal_minor=goal.minor,
        currency=goal.currency,
        starts_at=starts_at,
        ends_at=data.ends_at,
    )
    repo.add(campaign)
    await repo.session.flush()
    return campaign


async def get(
    repo: CampaignRepository, foundation_id: uuid.UUID, campaign_id: uuid.UUID
) -> Campaign:
    """The foundation's campaign; another foundation's is 'not found', never 'forbidden'."""
    campaign = await repo.get(foundation_id, campaign_id)
    if campaign is None:
        raise CampaignNotFound(f"no campaign {campaign_id}")
    return campaign


async def list_page(
    repo: CampaignRepository, foundation_id: uuid.UUID, params: PageParams
) -> Sequence[Campaign]:
    return await repo.list(foundation_id, params)


async def totals(
    repo: CampaignRepository, campaigns: Sequence[Campaign]
) -> dict[uuid.UUID, Totals]:
    return await repo.totals([c.id for c in campaigns])
