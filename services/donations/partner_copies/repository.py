from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import select

from kit.repository import Repository, Upsert
from services.donations.partner_copies.models import PartnerCopy

_table = PartnerCopy.__table__


def _keep_newest(insert: object) -> object:
    stmt = insert(_table)  # type: ignore[operator]
    return stmt.on_conflict_do_update(
        index_elements=[_table.c.partner_id],
        set_={
            "name": stmt.excluded.name,
            "archived": stmt.excluded.archived,
            "version": stmt.excluded.version,
            "changed_at": stmt.excluded.changed_at,
        },
        where=_table.c.version < stmt.excluded.version,
    )


_KEEP_NEWEST = Upsert(_keep_newest)  # type: ignore[arg-type]


class PartnerCopyRepository(Repository[PartnerCopy]):
    model = PartnerCopy

    async def keep_newest(
        self,
        *,
        partner_id: uuid.UUID,
        foundation_id: uuid.UUID,
        name: str,
        archived: bool,
        version: int,
        changed_at: dt.datetime,
    ) -> None:
        """Insert the copy, or overwrite it if ours is of an older version; one statement,
        so that two deliveries racing cannot lose the newer."""
        await self.session.execute(
            _KEEP_NEWEST.of(self.session),
            {
                "partner_id": partner_id,
                "foundation_id": foundation_id,
                "name": name,
                "archived": archived,
                "version": version,
                "changed_at": changed_at,
            },
        )

    async def of_foundation(
        self, foundation_id: uuid.UUID, partner_id: uuid.UUID
    ) -> PartnerCopy | None:
        return await self.one_or_none(
            select(PartnerCopy).where(
                PartnerCopy.partner_id == partner_id, PartnerCopy.foundation_id == foundation_id
            )
        )
