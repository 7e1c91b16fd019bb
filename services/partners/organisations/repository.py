from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import PageParams
from services.partners.organisations.models import PartnerOrganisation


class PartnerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(self, partner: PartnerOrganisation) -> None:
        """Insert now, in a savepoint: a unique violation (``IntegrityError``) leaves the
        request's transaction usable, so the caller can still read why."""
        async with self.session.begin_nested():
            self.session.add(partner)
            await self.session.flush()

    async def get(
        self, foundation_id: uuid.UUID, partner_id: uuid.UUID
    ) -> PartnerOrganisation | None:
        stmt = select(PartnerOrganisation).where(
            PartnerOrganisation.id == partner_id,
            PartnerOrganisation.foundation_id == foundation_id,
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def name_taken(self, foundation_id: uuid.UUID, name: str) -> bool:
        stmt = select(
            exists().where(
                PartnerOrganisation.foundation_id == foundation_id,
                PartnerOrganisation.name == name,
            )
        )
        return bool((await self.session.execute(stmt)).scalar())

    async def list(
        self, foundation_id: uuid.UUID, params: PageParams
    ) -> Sequence[PartnerOrganisation]:
        stmt = params.apply(
            select(PartnerOrganisation).where(PartnerOrganisation.foundation_id == foundation_id),
            PartnerOrganisation.id,
        )
        return (await self.session.execute(stmt)).scalars().all()
