"""All SQL of in-kind donations."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from kit.pagination import PageParams
from kit.repository import Repository
from services.donations.in_kind.models import InKindDonation


class InKindRepository(Repository[InKindDonation]):
    model = InKindDonation

    async def get_in_campaign(
        self, campaign_id: uuid.UUID, donation_id: uuid.UUID
    ) -> InKindDonation | None:
        return await self.one_or_none(
            select(InKindDonation).where(
                InKindDonation.id == donation_id, InKindDonation.campaign_id == campaign_id
            )
        )

    async def for_campaign(
        self, campaign_id: uuid.UUID, params: PageParams
    ) -> Sequence[InKindDonation]:
        return await self.page(
            select(InKindDonation).where(InKindDonation.campaign_id == campaign_id), params
        )
