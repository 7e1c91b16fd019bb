from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import PageParams
from services.donations.campaigns.models import Campaign
from services.donations.ledger.models import Account, EntryKind, LedgerTotal


@dataclass(frozen=True, slots=True)
class Totals:
    """A campaign's figures, from the ledger's running totals: net of refunds, per currency."""

    raised: dict[str, int] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)
    donation_count: int = 0


class CampaignRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, campaign: Campaign) -> None:
        self.session.add(campaign)

    async def get(self, foundation_id: uuid.UUID, campaign_id: uuid.UUID) -> Campaign | None:
        stmt = select(Campaign).where(
            Campaign.id == campaign_id, Campaign.foundation_id == foundation_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get_for_update(
        self, foundation_id: uuid.UUID, campaign_id: uuid.UUID
    ) -> Campaign | None:
        """The campaign, locked against a concurrent close (a share lock: donations to one
        campaign still run side by side)."""
        stmt = (
            select(Campaign)
            .where(Campaign.id == campaign_id, Campaign.foundation_id == foundation_id)
            .with_for_update(read=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def list(self, foundation_id: uuid.UUID, params: PageParams) -> Sequence[Campaign]:
        stmt = params.apply(
            select(Campaign).where(Campaign.foundation_id == foundation_id), Campaign.id
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def totals(self, campaign_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Totals]:
        """Raised (donations less refunds), cash held and donation count per campaign."""
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
        return {
            cid: Totals(dict(raised[cid]), dict(held[cid]), counts[cid])
            for cid in set(raised) | set(held)
        }
