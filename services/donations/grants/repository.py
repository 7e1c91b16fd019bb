"""All SQL of grants, received and paid."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from kit.pagination import PageParams
from kit.repository import Repository
from services.donations.grants.models import GrantPaid, GrantReceived


class GrantReceivedRepository(Repository[GrantReceived]):
    model = GrantReceived

    async def get_of(self, foundation_id: uuid.UUID, grant_id: uuid.UUID) -> GrantReceived | None:
        return await self.one_or_none(
            select(GrantReceived).where(
                GrantReceived.id == grant_id, GrantReceived.foundation_id == foundation_id
            )
        )

    async def for_foundation(
        self, foundation_id: uuid.UUID, params: PageParams, campaign_id: uuid.UUID | None
    ) -> Sequence[GrantReceived]:
        stmt = select(GrantReceived).where(GrantReceived.foundation_id == foundation_id)
        if campaign_id is not None:
            stmt = stmt.where(GrantReceived.campaign_id == campaign_id)
        return await self.page(stmt, params)


class GrantPaidRepository(Repository[GrantPaid]):
    model = GrantPaid

    async def get_of(self, foundation_id: uuid.UUID, grant_id: uuid.UUID) -> GrantPaid | None:
        return await self.one_or_none(
            select(GrantPaid).where(
                GrantPaid.id == grant_id, GrantPaid.foundation_id == foundation_id
            )
        )

    async def for_foundation(
        self,
        foundation_id: uuid.UUID,
        params: PageParams,
        campaign_id: uuid.UUID | None,
        partner_organisation_id: uuid.UUID | None,
    ) -> Sequence[GrantPaid]:
        stmt = select(GrantPaid).where(GrantPaid.foundation_id == foundation_id)
        if campaign_id is not None:
            stmt = stmt.where(GrantPaid.campaign_id == campaign_id)
        if partner_organisation_id is not None:
            stmt = stmt.where(GrantPaid.partner_organisation_id == partner_organisation_id)
        return await self.page(stmt, params)
