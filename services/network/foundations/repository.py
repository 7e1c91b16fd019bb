from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import PageParams
from services.network.foundations.models import Foundation


class FoundationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def insert(self, foundation: Foundation) -> None:
        """Insert now, in a savepoint: a unique violation (``IntegrityError``) leaves the
        request's transaction usable, so the caller can still read why."""
        async with self.session.begin_nested():
            self.session.add(foundation)
            await self.session.flush()

    async def flush(self) -> None:
        await self.session.flush()

    async def get(self, foundation_id: uuid.UUID) -> Foundation | None:
        return await self.session.get(Foundation, foundation_id)

    async def slug_taken(self, slug: str) -> bool:
        stmt = select(exists().where(Foundation.slug == slug))
        return bool((await self.session.execute(stmt)).scalar())

    async def list(self, params: PageParams, *, slug: str | None = None) -> Sequence[Foundation]:
        stmt = select(Foundation)
        if slug is not None:
            stmt = stmt.where(Foundation.slug == slug)
        stmt = params.apply(stmt, Foundation.id)
        return (await self.session.execute(stmt)).scalars().all()
