"""All SQL of the transparency report.

Money comes from the ledger's running totals (a handful of rows per fund, whatever the
number of donations); quantities from grouped sums over the campaign's supply rows, which
are few. Nothing here reads the donations table or the journal lines in aggregate: that is
what keeps the report fast for a campaign of a million donations.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kit.pagination import PageParams
from services.donations.campaigns.models import Campaign, CampaignStatus
from services.donations.distributions.models import (
    Distribution,
    DistributionLine,
    RecipientKind,
)
from services.donations.donations.models import CampaignTally, Channel, Donation
from services.donations.foundations.models import FoundationCopy
from services.donations.in_kind.models import InKindDonation
from services.donations.ledger.models import LedgerTotal, LogQueue
from services.donations.log.merkle import EMPTY_ROOT
from services.donations.log.models import TreeHead
from services.donations.purchases.models import Purchase, PurchaseLine
from services.donations.supplies.models import StockItem


@dataclass(frozen=True, slots=True)
class TotalRow:
    """One running total of the fund: (account, entry kind, currency) with its sums."""

    account: str
    kind: str
    currency: str
    debit_minor: int
    credit_minor: int
    debit_count: int
    credit_count: int


@dataclass(frozen=True, slots=True)
class LedgerState:
    """A fund's running totals and the foundation's latest log head, read in one statement
    so that the figures are exactly those of the ``log_size`` entries the head holds."""

    log_size: int
    root_hash: str
    totals: Sequence[TotalRow]


@dataclass(frozen=True, slots=True)
class InKindGroup:
    item: str
    unit: str
    currency: str | None
    quantity: int
    fair_value_minor: int | None


@dataclass(frozen=True, slots=True)
class BoughtGroup:
    item: str
    unit: str
    currency: str
    quantity: int
    cost_minor: int


@dataclass(frozen=True, slots=True)
class DistributedGroup:
    recipient_name: str
    recipient_kind: RecipientKind
    item: str
    unit: str
    quantity: int


@dataclass(frozen=True, slots=True)
class DonationRow:
    id: uuid.UUID
    amount_minor: int
    currency: str
    refunded_minor: int
    channel: Channel
    donor_name: str | None
    anonymous: bool
    donated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class StockGroup:
    item: str
    unit: str
    currency: str
    quantity: int
    value_minor: int


class ReportRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def campaign(self, campaign_id: uuid.UUID) -> Campaign | None:
        """The campaign, whoever's it is: the report is public."""
        return await self.session.get(Campaign, campaign_id)

    async def public_campaigns(
        self,
        foundation_id: uuid.UUID,
        params: PageParams,
        *,
        status: CampaignStatus | None = None,
    ) -> Sequence[Campaign]:
        """The foundation's campaigns out of draft (or in ``status``), newest first."""
        stmt = select(Campaign).where(
            Campaign.foundation_id == foundation_id, Campaign.status != CampaignStatus.DRAFT
        )
        if status is not None:
            stmt = stmt.where(Campaign.status == status)
        return (await self.session.execute(params.apply(stmt, Campaign.id))).scalars().all()

    async def foundation_name(self, foundation_id: uuid.UUID) -> str | None:
        copy = await self.session.get(FoundationCopy, foundation_id)
        return copy.name if copy is not None else None

    async def ledger_state(self, foundation_id: uuid.UUID, fund_id: uuid.UUID) -> LedgerState:
        # One statement, one snapshot (PostgreSQL's READ COMMITTED takes one per
        # statement): the sequencer moves the log's head and the running totals in one
        # transaction, so the totals read are exactly those of the entries in the head.
        # No head means nothing of the foundation's is in the log yet.
        head = (
            select(TreeHead.size, TreeHead.root_hash)
            .where(TreeHead.foundation_id == foundation_id)
            .order_by(TreeHead.size.desc())
            .limit(1)
            .subquery()
        )
        stmt = select(
            head.c.size,
            head.c.root_hash,
            LedgerTotal.account,
            LedgerTotal.kind,
            LedgerTotal.currency,
            LedgerTotal.debit_minor,
            LedgerTotal.credit_minor,
            LedgerTotal.debit_count,
            LedgerTotal.credit_count,
        ).select_from(
            head.outerjoin(
                LedgerTotal,
                and_(LedgerTotal.foundation_id == foundation_id, LedgerTotal.fund_id == fund_id),
            )
        )
        rows = (await self.session.execute(stmt)).all()
        if not rows:
            return LedgerState(0, EMPTY_ROOT, ())
        totals = [
            TotalRow(r[2], r[3], r[4], int(r[5]), int(r[6]), int(r[7]), int(r[8]))
            for r in rows
            if r[2] is not None
        ]
        return LedgerState(int(rows[0][0]), bytes(rows[0][1]).hex(), totals)

    async def ledger_version(self, foundation_id: uuid.UUID) -> str:
        """A tag that changes whenever an entry of the foundation is committed: the size of
        its log's latest head and how many entries wait for the next one (a commit adds
        one to the second; integrating moves them to the first, which only grows)."""
        size = (
            select(func.coalesce(func.max(TreeHead.size), 0))
            .where(TreeHead.foundation_id == foundation_id)
            .scalar_subquery()
        )
        queued = (
            select(func.count()).where(LogQueue.foundation_id == foundation_id).scalar_subquery()
        )
        row = (await self.session.execute(select(size, queued))).one()
        return f"{int(row[0])}-{int(row[1])}"

    async def unique_donors(self, campaign_id: uuid.UUID) -> int:
        stmt = select(CampaignTally.unique_donors).where(CampaignTally.campaign_id == campaign_id)
        return int((await self.session.execute(stmt)).scalar_one_or_none() or 0)

    async def in_kind(self, campaign_id: uuid.UUID) -> list[InKindGroup]:
        stmt = (
            select(
                InKindDonation.item,
                InKindDonation.unit,
                InKindDonation.currency,
                func.sum(InKindDonation.quantity),
                func.sum(InKindDonation.fair_value_minor),
            )
            .where(InKindDonation.campaign_id == campaign_id)
            .group_by(InKindDonation.item, InKindDonation.unit, InKindDonation.currency)
        )
        return sorted(
            (
                InKindGroup(r[0], r[1], r[2], int(r[3]), None if r[4] is None else int(r[4]))
                for r in await self.session.execute(stmt)
            ),
            key=lambda g: (g.item, g.unit, g.currency or ""),
        )

    async def bought(self, campaign_id: uuid.UUID) -> list[BoughtGroup]:
        stmt = (
            select(
                PurchaseLine.item,
                PurchaseLine.unit,
                Purchase.currency,
                func.sum(PurchaseLine.quantity),
                func.sum(PurchaseLine.amount_minor),
            )
            .join(Purchase, Purchase.id == PurchaseLine.purchase_id)
            .where(Purchase.campaign_id == campaign_id)
            .group_by(PurchaseLine.item, PurchaseLine.unit, Purchase.currency)
        )
        return sorted(
            (
                BoughtGroup(r[0], r[1], r[2], int(r[3]), int(r[4]))
                for r in await self.session.execute(stmt)
            ),
            key=lambda g: (g.item, g.unit, g.currency),
        )

    async def distributed(self, campaign_id: uuid.UUID) -> list[DistributedGroup]:
        stmt = (
            select(
                Distribution.recipient_name,
                Distribution.recipient_kind,
                DistributionLine.item,
                DistributionLine.unit,
                func.sum(DistributionLine.quantity),
            )
            .join(Distribution, Distribution.id == DistributionLine.distribution_id)
            .where(Distribution.campaign_id == campaign_id)
            .group_by(
                Distribution.recipient_name,
                Distribution.recipient_kind,
                DistributionLine.item,
                DistributionLine.unit,
            )
        )
        return sorted(
            (
                DistributedGroup(r[0], RecipientKind(r[1]), r[2], r[3], int(r[4]))
                for r in await self.session.execute(stmt)
            ),
            key=lambda g: (g.recipient_name, g.recipient_kind.value, g.item, g.unit),
        )

    async def stock(self, foundation_id: uuid.UUID, fund_id: uuid.UUID) -> list[StockGroup]:
        stmt = (
            select(StockItem)
            .where(
                StockItem.foundation_id == foundation_id,
                StockItem.fund_id == fund_id,
                or_(StockItem.quantity > 0, StockItem.value_minor > 0),
            )
            .order_by(StockItem.name, StockItem.unit, StockItem.currency)
        )
        return [
            StockGroup(s.name, s.unit, s.currency, s.quantity, s.value_minor)
            for s in (await self.session.execute(stmt)).scalars()
        ]

    async def donations(self, campaign_id: uuid.UUID, params: PageParams) -> list[DonationRow]:
        """A page of the campaign's donations, most recently recorded first (by id, not
        ``donated_at``; ``limit + 1`` rows), with only the columns a public list shows or
        needs for masking: never the contact."""
        stmt = (
            select(
                Donation.id,
                Donation.amount_minor,
                Donation.currency,
                Donation.refunded_minor,
                Donation.channel,
                Donation.donor_name,
                Donation.anonymous,
                Donation.donated_at,
            )
            .where(Donation.campaign_id == campaign_id)
            .order_by(Donation.id.desc())
            .limit(params.limit + 1)
        )
        if params.after is not None:
            stmt = stmt.where(Donation.id < params.after)
        return [
            DonationRow(r[0], int(r[1]), r[2], int(r[3]), Channel(r[4]), r[5], bool(r[6]), r[7])
            for r in await self.session.execute(stmt)
        ]
