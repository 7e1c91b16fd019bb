from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select

from kit.pagination import PageParams
from kit.repository import Repository
from services.donations.campaigns.models import Campaign, CampaignStatus
from services.donations.disclosures.models import Disclosure, DisclosureKind


class DisclosureRepository(Repository[Disclosure]):
    """Disclosures, and what the calendar reads of campaigns. :meth:`get` finds any
    foundation's disclosure: published disclosures are public."""

    model = Disclosure

    async def for_campaign(
        self, campaign_id: uuid.UUID, params: PageParams
    ) -> Sequence[Disclosure]:
        return await self.page(
            select(Disclosure).where(Disclosure.campaign_id == campaign_id), params
        )

    async def corrected_by(
        self, disclosure_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[uuid.UUID]]:
        """The ids of the disclosures that correct each of these, oldest first."""
        if not disclosure_ids:
            return {}
        stmt = (
            select(Disclosure.corrects_id, Disclosure.id)
            .where(Disclosure.corrects_id.in_(disclosure_ids))
            .order_by(Disclosure.id)
        )
        found: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for corrects_id, disclosure_id in await self.session.execute(stmt):
            if corrects_id is not None:
                found[corrects_id].append(disclosure_id)
        return found

    async def periods(
        self, campaign_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[tuple[DisclosureKind, dt.datetime]]]:
        """What each campaign has published: (kind, period_end) pairs."""
        if not campaign_ids:
            return {}
        stmt = select(Disclosure.campaign_id, Disclosure.kind, Disclosure.period_end).where(
            Disclosure.campaign_id.in_(campaign_ids)
        )
        found: dict[uuid.UUID, list[tuple[DisclosureKind, dt.datetime]]] = defaultdict(list)
        for campaign_id, kind, period_end in await self.session.execute(stmt):
            found[campaign_id].append((DisclosureKind(kind), period_end))
        return found

    async def published(
        self, campaign_id: uuid.UUID, kind: DisclosureKind, period_end: dt.datetime | None
    ) -> Disclosure | None:
        """The campaign's first disclosure of ``kind`` (ending at ``period_end``, if given)."""
        stmt = select(Disclosure).where(
            Disclosure.campaign_id == campaign_id, Disclosure.kind == kind
        )
        if period_end is not None:
            stmt = stmt.where(Disclosure.period_end == period_end)
        return (await self.session.execute(stmt.order_by(Disclosure.id).limit(1))).scalar()

    async def campaign(self, foundation_id: uuid.UUID, campaign_id: uuid.UUID) -> Campaign | None:
        stmt = select(Campaign).where(
            Campaign.id == campaign_id, Campaign.foundation_id == foundation_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def campaigns(
        self, foundation_id: uuid.UUID, campaign_id: uuid.UUID | None
    ) -> Sequence[Campaign]:
        """The foundation's campaigns that are out of draft (only ``campaign_id``, if given)."""
        stmt = select(Campaign).where(
            Campaign.foundation_id == foundation_id, Campaign.status != CampaignStatus.DRAFT
        )
        if campaign_id is not None:
            stmt = stmt.where(Campaign.id == campaign_id)
        return (await self.session.execute(stmt)).scalars().all()
