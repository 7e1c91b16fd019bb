from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import PageParams
from services.donations.grants.models import GrantPaid, GrantReceived


class GrantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add_received(self, grant: GrantReceived) -> None:
        self.session.add(grant)
        await self.session.flush()

    async def add_paid(self, grant: GrantPaid) -> None:
        self.session.add(grant)
        await self.session.flush()

    async def get_received(
        self, foundation_id: uuid.UUID, grant_id: uuid.UUID
    ) -> GrantReceived | None:
        stmt = select(GrantReceived).where(
            GrantReceived.id == grant_id, GrantReceived.foundation_id == foundation_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get_paid(self, foundation_id: uuid.UUID, grant_id: uuid.UUID) -> GrantPaid | None:
        stmt = select(GrantPaid).where(
            GrantPaid.id == grant_id, GrantPaid.foundation_id == foundation_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def list_received(
        self, foundation_id: uuid.UUID, params: PageParams, campaign_id: uuid.UUID | None
    ) -> Sequence[GrantReceived]:
        stmt = select(GrantReceived).where(GrantReceived.foundation_id == foundation_id)
        if campaign_id is not None:
            stmt = stmt.where(GrantReceived.campaign_id == campaign_id)
        return (await self.session.execute(params.apply(stmt, GrantReceived.id))).scalars().all()

    async def list_paid(
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
        return (await self.session.execute(params.apply(stmt, GrantPaid.id))).scalars().all()
