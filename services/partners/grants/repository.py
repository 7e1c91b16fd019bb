from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import PageParams
from services.partners.grants.models import PartnerGrant


class PartnerGrantRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, values: dict[str, Any]) -> None:
        """Insert the grant unless its id is already there (the donations service's id is
        the key, whatever the inbox says)."""
        dialect = self.session.get_bind().dialect.name
        insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        await self.session.execute(
            insert(PartnerGrant).values(**values).on_conflict_do_nothing(index_elements=["id"])
        )

    async def list(
        self, foundation_id: uuid.UUID, partner_id: uuid.UUID, params: PageParams
    ) -> Sequence[PartnerGrant]:
        stmt = select(PartnerGrant).where(
            PartnerGrant.foundation_id == foundation_id,
            PartnerGrant.partner_organisation_id == partner_id,
        )
        return (await self.session.execute(params.apply(stmt, PartnerGrant.id))).scalars().all()
