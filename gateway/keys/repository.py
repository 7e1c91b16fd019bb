from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.keys.models import ApiKey


class ApiKeyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, key: ApiKey) -> None:
        self.session.add(key)

    async def get(self, key_id: uuid.UUID) -> ApiKey | None:
        return await self.session.get(ApiKey, key_id)

    async def get_by_prefix(self, prefix: str) -> ApiKey | None:
        stmt = select(ApiKey).where(ApiKey.prefix == prefix)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def list(self, organisation_id: uuid.UUID | None = None) -> Sequence[ApiKey]:
        """Keys newest first, of one organisation or of all."""
        stmt = select(ApiKey).order_by(ApiKey.id.desc())
        if organisation_id is not None:
            stmt = stmt.where(ApiKey.organisation_id == organisation_id)
        return (await self.session.execute(stmt)).scalars().all()
