from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import and_, or_, select

from kit.pagination import PageParams
from kit.repository import Repository
from services.network.pairings.models import OPEN, Pairing, PairingStatus


class PairingRepository(Repository[Pairing]):
    model = Pairing

    async def get_locked(self, pairing_id: uuid.UUID) -> Pairing | None:
        return await self.one_or_none(
            select(Pairing).where(Pairing.id == pairing_id).with_for_update()
        )

    async def open_between(self, a: uuid.UUID, b: uuid.UUID) -> Pairing | None:
        return await self.one_or_none(
            select(Pairing)
            .where(
                Pairing.status.in_(OPEN),
                or_(
                    and_(Pairing.proposer_id == a, Pairing.partner_id == b),
                    and_(Pairing.proposer_id == b, Pairing.partner_id == a),
                ),
            )
            .limit(1)
        )

    async def of(
        self, foundation_id: uuid.UUID, params: PageParams, *, status: PairingStatus | None
    ) -> Sequence[Pairing]:
        stmt = select(Pairing).where(
            or_(Pairing.proposer_id == foundation_id, Pairing.partner_id == foundation_id)
        )
        if status is not None:
            stmt = stmt.where(Pairing.status == status)
        return await self.page(stmt, params)
