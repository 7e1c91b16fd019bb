from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from kit.pagination import PageParams
from kit.repository import Repository
from services.donations.campaigns.models import Campaign, CampaignStatus
from services.donations.donations.models import CampaignTally
from services.donations.ledger.models import Account, EntryKind, LedgerTotal
from services.donations.supplies.models import StockItem


@dataclass(frozen=True, slots=True)
class Totals:
    """A campaign's figures, from the ledger's running totals: net of refunds, per currency."""

    raised: dict[str, int] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)
    donation_count: int = 0
    unique_donors: int = 0


class CampaignRepository(Repository[Campaign]):
    model = Campaign

    async def of_foundation(
        self, foundation_id: uuid.UUID, campaign_id: uuid.UUID
    ) -> Campaign | None:
        """The campaign, if it is the foundation's."""
        return await self.one_or_none(
            select(Campaign).where(
                Campaign.id == campaign_id, Campaign.foundation_id == foundation_id
            )
        )

    async def get_for_update(
        self, foundation_id: uuid.UUID, campaign_id: uuid.UUID
    ) -> Campaign | None:
        """The campaign, locked against a concurrent close (a share lock: donations to one
        campaign still run side by side)."""
        stmt = (
            select(Campaign)
            .where(Campaign.id == campaign_id, Campaign.foundation_id == foundation_id)
            .with_for_update(read=True)
            # A row loaded earlier in the session would otherwise keep its stale state.
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def lock(self, foundation_id: uuid.UUID, campaign_id: uuid.UUID) -> Campaign | None:
        """The campaign under an exclusive lock, for changing it: waits for the donations
        and spends that hold its share lock, and holds off new ones until commit."""
        stmt = (
            select(Campaign)
            .where(Campaign.id == campaign_id, Campaign.foundation_id == foundation_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def goods_left(
        self, foundation_id: uuid.UUID, campaign_id: uuid.UUID
    ) -> list[tuple[str, str, int]]:
        """The goods the campaign still holds, as (item, unit, quantity), by item."""
        stmt = (
            select(StockItem.name, StockItem.unit, StockItem.quantity)
            .where(
                StockItem.foundation_id == foundation_id,
                StockItem.fund_id == campaign_id,
                StockItem.quantity > 0,
            )
            .order_by(StockItem.name, StockItem.unit)
        )
        return [(r[0], r[1], int(r[2])) for r in await self.session.execute(stmt)]

    async def follower(self, campaign_id: uuid.UUID) -> Campaign | None:
        """The campaign that follows ``campaign_id`` as its next phase, if any."""
        return await self.one_or_none(
            select(Campaign).where(Campaign.follows_id == campaign_id).limit(1)
        )

    async def list(
        self,
        foundation_id: uuid.UUID,
        params: PageParams,
        *,
        status: CampaignStatus | None = None,
    ) -> Sequence[Campaign]:
        stmt = select(Campaign).where(Campaign.foundation_id == foundation_id)
        if status is not None:
            stmt = stmt.where(Campaign.status == status)
        return await self.page(stmt, params)

    async def totals(self, campaign_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Totals]:
        """Raised (donations less refunds), cash held, donation count and unique donors per
        campaign; a campaign without any is left out."""
        if not campaign_ids:
            return {}
        stmt = select(LedgerTotal).where(
            LedgerTotal.fund_id.in_(campaign_ids),
            LedgerTotal.account.in_([Account.DONATIONS, Account.CASH]),
        )
        raised: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        held: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        counts: dict[uuid.UUID, int] = defaultdict(int)
        for t in (await self.session.execute(stmt)).scalars():
            if t.account == Account.DONATIONS:
                raised[t.fund_id][t.currency] += t.credit_minor - t.debit_minor
                if t.kind == EntryKind.DONATION:
                    counts[t.fund_id] += t.credit_count
            else:
                held[t.fund_id][t.currency] += t.debit_minor - t.credit_minor
        donors_stmt = select(CampaignTally.campaign_id, CampaignTally.unique_donors).where(
            CampaignTally.campaign_id.in_(campaign_ids)
        )
        donors = {r[0]: int(r[1]) for r in await self.session.execute(donors_stmt)}
        return {
            cid: Totals(dict(raised[cid]), dict(held[cid]), counts[cid], donors.get(cid, 0))
            for cid in set(raised) | set(held) | set(donors)
        }
