from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from kit.pagination import PageParams
from kit.repository import Repository, insert_ignoring_conflicts
from services.partners.grants.models import PartnerGrant

_RECORD = insert_ignoring_conflicts(PartnerGrant, "id")


class PartnerGrantRepository(Repository[PartnerGrant]):
    model = PartnerGrant

    async def record(self, values: dict[str, Any]) -> None:
        """Insert the grant unless its id is already there (the donations service's id is
        the key, whatever the inbox says)."""
        await self.session.execute(_RECORD.of(self.session), values)

    async def list(
        self, foundation_id: uuid.UUID, partner_id: uuid.UUID, params: PageParams
    ) -> Sequence[PartnerGrant]:
        stmt = select(PartnerGrant).where(
            PartnerGrant.foundation_id == foundation_id,
            PartnerGrant.partner_organisation_id == partner_id,
        )
        return await self.page(stmt, params)

    def _in_period(
        self,
        foundation_id: uuid.UUID,
        partner_ids: Sequence[uuid.UUID],
        start: dt.datetime,
        end: dt.datetime,
    ) -> Any:
        return (
            PartnerGrant.foundation_id == foundation_id,
            PartnerGrant.partner_organisation_id.in_(partner_ids),
            PartnerGrant.paid_at >= start,
            PartnerGrant.paid_at < end,
        )

    async def totals_in_period(
        self,
        foundation_id: uuid.UUID,
        partner_ids: Sequence[uuid.UUID],
        start: dt.datetime,
        end: dt.datetime,
    ) -> Sequence[tuple[str, int]]:
        """(currency, minor units) of the grants paid to the partners in [start, end)."""
        stmt = (
            select(PartnerGrant.currency, func.sum(PartnerGrant.amount_minor))
            .where(*self._in_period(foundation_id, partner_ids, start, end))
            .group_by(PartnerGrant.currency)
            .order_by(PartnerGrant.currency)
        )
        return [(row[0], int(row[1])) for row in (await self.session.execute(stmt)).all()]

    async def list_in_period(
        self,
        foundation_id: uuid.UUID,
        partner_ids: Sequence[uuid.UUID],
        start: dt.datetime,
        end: dt.datetime,
        params: PageParams,
    ) -> Sequence[PartnerGrant]:
        stmt = select(PartnerGrant).where(*self._in_period(foundation_id, partner_ids, start, end))
        return await self.page(stmt, params)
