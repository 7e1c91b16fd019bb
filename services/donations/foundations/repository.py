from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.donations.foundations.models import FoundationCopy


class FoundationCopyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, foundation_id: uuid.UUID) -> FoundationCopy | None:
        return await self.session.get(FoundationCopy, foundation_id)

    async def keep_newest(
        self, foundation_id: uuid.UUID, *, slug: str, name: str, updated_at: dt.datetime
    ) -> None:
        """Insert the copy, or overwrite it if ours is older than ``updated_at``; one
        statement, so two consumers racing on one foundation cannot lose the newer."""
        dialect = self.session.get_bind().dialect.name
        insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        table = FoundationCopy.__table__
        stmt = insert(table).values(
            foundation_id=foundation_id, slug=slug, name=name, updated_at=updated_at
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=[table.c.foundation_id],
                set_={
                    "slug": stmt.excluded.slug,
                    "name": stmt.excluded.name,
                    "updated_at": stmt.excluded.updated_at,
                },
                where=table.c.updated_at < stmt.excluded.updated_at,
            )
        )
