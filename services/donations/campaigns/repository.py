from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Select, bindparam, func, select, text, union_all

from kit.pagination import PageParams
from kit.repository import Repository
from services.donations.campaigns.models import Campaign, CampaignStatus
from services.donations.donations.models import CampaignDonor, CampaignTally
from services.donations.ledger.models import Account, EntryKind, LogQueue
from services.donations.ledger.repository import live_totals
from services.donations.supplies.models import StockItem


@dataclass(frozen=True, slots=True)
class Totals:
    """A campaign's figures, from the ledger's running totals: net of refunds, per currency."""

    raised: dict[str, int] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)
    donation_count: int = 0
    unique_donors: int = 0


def campaign_lock_key(campaign_id: uuid.UUID) -> int:
    """The campaign's PostgreSQL advisory lock key: a signed 64-bit hash of its id in a
    namespace of its own, so that it meets no other advisory lock of the database (a
    collision would only make two campaigns wait for each other, never break a rule)."""
    digest = hashlib.blake2b(b"fnet.campaign:" + campaign_id.bytes, digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


# Built once: every request with a campaign in its path runs it, and a statement built per
# call costs its construction and its cache key each time.
_GET = select(Campaign).where(
    Campaign.id == bindparam("campaign_id"), Campaign.foundation_id == bindparam("foundation_id")
)


def _live_donors(campaign_ids: Sequence[uuid.UUID]) -> Select[uuid.UUID, int]:
    """Unique donors per campaign, live like the money: the sequencer's tally (as of the
    log's head) plus the donors brought by entries still queued for it, in one statement,
    so a donor whose entry the sequencer takes in meanwhile counts once."""
    tallied = select(CampaignTally.campaign_id, CampaignTally.unique_donors.label("donors")).where(
        CampaignTally.campaign_id.in_(campaign_ids)
    )
    queued = (
        select(CampaignDonor.campaign_id, func.count().label("donors"))
        .join(LogQueue, LogQueue.entry_id == CampaignDonor.entry_id)
        .where(CampaignDonor.campaign_id.in_(campaign_ids))
        .group_by(CampaignDonor.campaign_id)
    )
    both = union_all(tallied, queued).subquery()
    return select(both.c.campaign_id, func.sum(both.c.donors)).group_by(both.c.campaign_id)


class CampaignRepository(Repository[Campaign]):
    model = Campaign

    async def of_foundation(
        self, foundation_id: uuid.UUID, campaign_id: uuid.UUID
    ) -> Campaign | None:
        """The campaign, if it is the foundation's."""
        params = {"campaign_id": campaign_id, "foundation_id": foundation_id}
        found: Campaign | None = (await self.session.execute(_GET, params)).scalar_one_or_none()
        return found

    async def get_for_update(
        self, foundation_id: uuid.UUID, campaign_id: uuid.UUID
    ) -> Campaign | None:
        """The campaign, held against a concurrent change of its state until commit (a
        shared hold: donations and spends of one campaign still run side by side).

        On PostgreSQL the hold is a transaction-level advisory lock keyed by the campaign,
        not a row lock: the lock manager queues advisory locks fairly, so a close waiting
        for its exclusive lock is not overtaken by donations that arrive after it (row share
        locks are granted past a waiting ``FOR UPDATE``, which starved closes). SQLite
        serialises writers, so the read alone suffices there."""
        await self._advisory_lock(campaign_id, shared=True)
        stmt = (
            select(Campaign)
            .where(Campaign.id == campaign_id, Campaign.foundation_id == foundation_id)
            # A row loaded earlier in the session would otherwise keep its stale state.
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def lock(self, foundation_id: uuid.UUID, campaign_id: uuid.UUID) -> Campaign | None:
        """The campaign held exclusively until commit, for changing it: waits for the
        donations and spends already holding it (:meth:`get_for_update`), and holds off
        those that arrive later, which queue behind it in arrival order. The row lock
        (``FOR NO KEY UPDATE``) keeps two changes of the row apart wherever the advisory
        lock is not taken; it does not block inserts that merely reference the campaign."""
        await self._advisory_lock(campaign_id, shared=False)
        stmt = (
            select(Campaign)
            .where(Campaign.id == campaign_id, Campaign.foundation_id == foundation_id)
            .with_for_update(key_share=True)
            .execution_options(populate_existing=True)
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def _advisory_lock(self, campaign_id: uuid.UUID, *, shared: bool) -> None:
        if self.session.get_bind().dialect.name != "postgresql":
            return
        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        await self.session.execute(
            text(f"SELECT {function}(:key)"), {"key": campaign_lock_key(campaign_id)}
        )

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
        # Every committed entry, in the log or still queued for it: progress is live.
        stmt = live_totals(None, campaign_ids, [Account.DONATIONS, Account.CASH])
        raised: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        held: dict[uuid.UUID, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        counts: dict[uuid.UUID, int] = defaultdict(int)
        for (
            fund_id,
            account,
            kind,
            currency,
            debit,
            credit,
            _,
            credit_count,
        ) in await self.session.execute(stmt):
            if account == Account.DONATIONS:
                raised[fund_id][currency] += int(credit) - int(debit)
                if kind == EntryKind.DONATION:
                    counts[fund_id] += int(credit_count)
            else:
                held[fund_id][currency] += int(debit) - int(credit)
        donors = {
            campaign_id: int(count)
            for campaign_id, count in await self.session.execute(_live_donors(campaign_ids))
        }
        return {
            cid: Totals(dict(raised[cid]), dict(held[cid]), counts[cid], donors.get(cid, 0))
            for cid in set(raised) | set(held) | set(donors)
        }
