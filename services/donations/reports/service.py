"""The transparency report: built from the ledger's running totals and the campaign's
supply rows. Never commits (it only reads).

The figures reconcile per currency: cash = net raised + grants received + converted in
- purchases - expenses - grants paid - converted out, because each of them is a side of
the same ledger entries that moved the cash.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kit.db import Database, transaction
from kit.money import MoneyOut
from kit.pagination import Page, PageParams
from services.donations.campaigns.exceptions import CampaignNotFound
from services.donations.campaigns.models import Campaign, CampaignStatus
from services.donations.campaigns.repository import CampaignRepository, Totals
from services.donations.distributions.models import RecipientKind
from services.donations.donations import integration
from services.donations.ledger.models import EXPENSE_PREFIX, Account, EntryKind
from services.donations.log.repository import LogRepository
from services.donations.log.sequencer import integrate_everything
from services.donations.log.signing import HeadSigner
from services.donations.reports.repository import (
    DonationRow,
    LedgerState,
    ReportRepository,
    TotalRow,
)
from services.donations.reports.schemas import (
    BalanceRead,
    BoughtRead,
    CampaignFacts,
    CoOrganiserRead,
    InKindRead,
    LedgerHeadRead,
    LogHeadRead,
    PublicCampaignRead,
    PublicDonationRead,
    RaisedRead,
    RecipientItemRead,
    ReportConversionRead,
    ReportExpenseRead,
    ReportHostRead,
    ReportRead,
    ReportRecipientRead,
    StockRead,
)

ANONYMOUS = {"zh": "匿名", "en": "Anonymous"}
EXPORT_BATCH = 2000
# A fixed mask, whatever the name's length: the length would tell something too.
MASK = "**"


async def public_campaign(session: AsyncSession, campaign_id: uuid.UUID) -> Campaign:
    """The campaign whose report anyone may read: any foundation's, once out of draft.
    A draft answers exactly like an unknown id (404)."""
    campaign = await ReportRepository(session).campaign(campaign_id)
    if campaign is None or campaign.status is CampaignStatus.DRAFT:
        raise CampaignNotFound(f"no public campaign {campaign_id}")
    return campaign


@dataclass(slots=True)
class _Figures:
    """The fund's ledger totals folded into the report's figures (signed minor units)."""

    gross: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    refunds: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    donation_count: int = 0
    refund_count: int = 0
    grants_received: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    in_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    purchases: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    distributed: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    expenses: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    grants_paid: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    converted_out: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    converted_in: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    cash: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    stock: dict[str, int] = field(default_factory=lambda: defaultdict(int))


# Accounts whose figure is their balance: (field of _Figures, +1 for debit-positive
# accounts (assets, expenses), -1 for credit-positive ones (income)).
_BALANCES = {
    Account.GRANTS_RECEIVED.value: ("grants_received", -1),
    Account.IN_KIND.value: ("in_kind", -1),
    Account.DISTRIBUTED.value: ("distributed", 1),
    Account.GRANTS_PAID.value: ("grants_paid", 1),
    Account.STOCK.value: ("stock", 1),
}


def _fold(totals: Sequence[TotalRow]) -> _Figures:
    f = _Figures()
    for t in totals:
        c, debit, credit = t.currency, t.debit_minor, t.credit_minor
        if t.account in _BALANCES:
            name, sign = _BALANCES[t.account]
            getattr(f, name)[c] += sign * (debit - credit)
        elif t.account == Account.DONATIONS:
            f.gross[c] += credit
            f.refunds[c] += debit
            if t.kind == EntryKind.DONATION:
                f.donation_count += t.credit_count
            elif t.kind == EntryKind.REFUND:
                f.refund_count += t.debit_count
        elif t.account == Account.EXCHANGE:
            # A conversion debits the clearing account in the currency given away and
            # credits it in the currency got.
            f.converted_out[c] += debit
            f.converted_in[c] += credit
        elif t.account == Account.CASH:
            f.cash[c] += debit - credit
            if t.kind == EntryKind.PURCHASE:
                f.purchases[c] += credit - debit
        elif t.account.startswith(EXPENSE_PREFIX):
            f.expenses[(t.account.removeprefix(EXPENSE_PREFIX), c)] += debit - credit
    return f


def _money(amounts: dict[str, int]) -> list[MoneyOut]:
    """Per currency, for each currency the fund ever moved on the account (a balance that
    came back to zero says so, rather than vanishing)."""
    return [MoneyOut.from_minor(m, c) for c, m in sorted(amounts.items())]


def _facts(campaign: Campaign, foundation_name: str | None) -> CampaignFacts:
    host = None
    if campaign.host_name or campaign.host_filing_number or campaign.host_platform:
        host = ReportHostRead(
            name=campaign.host_name,
            filing_number=campaign.host_filing_number,
            platform=campaign.host_platform,
        )
    co_organisers = []
    for entry in campaign.co_organisers or []:
        # Stored as JSON: read what is there without trusting its shape.
        raw_id = entry.get("foundation_id") if isinstance(entry, dict) else None
        try:
            foundation_id = uuid.UUID(str(raw_id)) if raw_id else None
        except ValueError:
            foundation_id = None
        name = entry.get("name") if isinstance(entry, dict) else entry
        co_organisers.append(CoOrganiserRead(name=str(name or ""), foundation_id=foundation_id))
    return CampaignFacts(
        id=campaign.id,
        foundation_id=campaign.foundation_id,
        foundation_name=foundation_name,
        title=campaign.title,
        purpose=campaign.purpose,
        status=campaign.status,
        goal=MoneyOut.of(campaign.goal),
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
        closed_at=campaign.closed_at,
        phase=campaign.phase,
        follows_id=campaign.follows_id,
        host=host,
        co_organisers=co_organisers,
    )


async def public_campaigns(
    session: AsyncSession,
    foundation_id: uuid.UUID,
    params: PageParams,
    *,
    status: CampaignStatus | None = None,
) -> Page[PublicCampaignRead]:
    """A page of the foundation's public campaigns: open, closed and settled, never
    drafts; newest first. An unknown foundation has none."""
    rows = await ReportRepository(session).public_campaigns(foundation_id, params, status=status)
    page = params.page(rows, lambda campaign: campaign)
    return Page(
        items=await public_campaign_reads(session, foundation_id, page.items),
        next_cursor=page.next_cursor,
    )


async def public_campaign_reads(
    session: AsyncSession, foundation_id: uuid.UUID, campaigns: Sequence[Campaign]
) -> list[PublicCampaignRead]:
    """The list's items: facts and headline figures (from the ledger's running totals)."""
    if not campaigns:
        return []
    name = await ReportRepository(session).foundation_name(foundation_id)
    totals = await CampaignRepository(session).totals([c.id for c in campaigns])
    reads = []
    for campaign in campaigns:
        figures = totals.get(campaign.id, Totals())
        raised = {campaign.currency: 0, **figures.raised}
        reads.append(
            PublicCampaignRead(
                **_facts(campaign, name).model_dump(),
                opened_at=campaign.opened_at,
                settled_at=campaign.settled_at,
                raised=[MoneyOut.from_minor(m, c) for c, m in sorted(raised.items())],
                donation_count=figures.donation_count,
                unique_donors=figures.unique_donors,
                report=f"/api/v1/campaigns/{campaign.id}/report",
            )
        )
    return reads


async def log_head(
    session: AsyncSession, foundation_id: uuid.UUID, *, pending: int | None = None
) -> LogHeadRead | None:
    """The latest head; ``pending`` if the caller counted the queue earlier (see build)."""
    repo = LogRepository(session)
    head = await repo.latest_head(foundation_id)
    if head is None:
        return None
    return LogHeadRead(
        size=head.size,
        root_hash=head.root_hash.hex(),
        issued_at=head.issued_at,
        pending=await repo.queued_for(foundation_id) if pending is None else pending,
        path=f"/api/v1/foundations/{foundation_id}/log/head",
    )


async def build(
    session: AsyncSession,
    campaign: Campaign,
    *,
    freeze_log: HeadSigner | None = None,
) -> ReportRead:
    """The campaign's report as it stands.

    Money figures come from the sequencer's running totals, read in one statement with the
    log head they belong to, so the figures are exactly those of the entries in that head
    (an entry recorded a moment ago counts from the next head, well under a second later).
    With ``freeze_log`` (publishing a disclosure, with the campaign locked so that none of
    its postings is in flight) every entry recorded so far is first integrated into the
    log (signed with that key) and the sequencer's turn is held until commit: the head
    then holds every entry of the campaign, and goods and money read after it agree."""
    repo = ReportRepository(session)
    foundation_id = campaign.foundation_id
    if freeze_log is not None:
        await integrate_everything(session, freeze_log, steps=integration.STEPS)
    # The queue is counted before the figures are read: "pending 0" then means every entry
    # committed before the report was asked for is in its figures, even if the sequencer
    # integrates a batch between the two reads (counted after, it could say 0 of figures
    # read before that batch).
    pending = await LogRepository(session).queued_for(foundation_id)
    state: LedgerState = await repo.ledger_state(foundation_id, campaign.id)
    f = _fold(state.totals)
    currencies = sorted(set(f.gross) | set(f.refunds) | {campaign.currency})
    distributed: dict[tuple[str, RecipientKind], list[RecipientItemRead]] = {}
    for d in await repo.distributed(campaign.id):
        distributed.setdefault((d.recipient_name, d.recipient_kind), []).append(
            RecipientItemRead(item=d.item, unit=d.unit, quantity=d.quantity)
        )
    return ReportRead(
        campaign=_facts(campaign, await repo.foundation_name(foundation_id)),
        raised=[
            RaisedRead(
                currency=c,
                gross=MoneyOut.from_minor(f.gross.get(c, 0), c),
                refunds=MoneyOut.from_minor(f.refunds.get(c, 0), c),
                net=MoneyOut.from_minor(f.gross.get(c, 0) - f.refunds.get(c, 0), c),
            )
            for c in currencies
        ],
        donation_count=f.donation_count,
        refund_count=f.refund_count,
        unique_donors=await repo.unique_donors(campaign.id),
        grants_received=_money(f.grants_received),
        in_kind=[
            InKindRead(
                item=g.item,
                unit=g.unit,
                quantity=g.quantity,
                fair_value=(
                    MoneyOut.from_minor(g.fair_value_minor, g.currency)
                    if g.currency is not None and g.fair_value_minor is not None
                    else None
                ),
            )
            for g in await repo.in_kind(campaign.id)
        ],
        in_kind_value=_money(f.in_kind),
        bought=[
            BoughtRead(
                item=g.item,
                unit=g.unit,
                quantity=g.quantity,
                cost=MoneyOut.from_minor(g.cost_minor, g.currency),
            )
            for g in await repo.bought(campaign.id)
        ],
        purchases_spent=_money(f.purchases),
        distributed=[
            ReportRecipientRead(name=name, kind=kind, items=items)
            for (name, kind), items in distributed.items()
        ],
        distributed_value=_money(f.distributed),
        expenses=[
            ReportExpenseRead(category=category, amount=MoneyOut.from_minor(minor, currency))
            for (category, currency), minor in sorted(f.expenses.items())
        ],
        grants_paid=_money(f.grants_paid),
        conversions=[
            ReportConversionRead(
                currency=c,
                converted_out=MoneyOut.from_minor(f.converted_out.get(c, 0), c),
                converted_in=MoneyOut.from_minor(f.converted_in.get(c, 0), c),
            )
            for c in sorted(set(f.converted_out) | set(f.converted_in))
        ],
        balance=BalanceRead(
            cash=_money(f.cash),
            stock=[
                StockRead(
                    item=s.item,
                    unit=s.unit,
                    quantity=s.quantity,
                    value=MoneyOut.from_minor(s.value_minor, s.currency),
                )
                for s in await repo.stock(foundation_id, campaign.id)
            ],
            stock_value=_money(f.stock),
        ),
        ledger=LedgerHeadRead(seq=state.log_size, hash=state.root_hash),
        log=await log_head(session, foundation_id, pending=pending),
    )


def canonical_json(document: Any) -> bytes:
    """Compact, key-sorted JSON in UTF-8: the bytes a disclosure's ``report_sha256`` is
    the SHA-256 of (``docs/transparency.md`` spells it out for outside verifiers)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_of(document: Any) -> str:
    return hashlib.sha256(canonical_json(document)).hexdigest()


def display_name(name: str | None, anonymous: bool, language: str) -> str:
    """What a public list shows of a donor: the name only if the donor consented
    (``anonymous`` false); else the first character and ``**``; else 匿名 / Anonymous."""
    name = (name or "").strip()
    if not name:
        return ANONYMOUS.get(language, ANONYMOUS["zh"])
    if not anonymous:
        return name
    return name[0] + MASK


def public_donation(row: DonationRow, language: str) -> PublicDonationRead:
    return PublicDonationRead(
        id=row.id,
        amount=MoneyOut.from_minor(row.amount_minor, row.currency),
        refunded=MoneyOut.from_minor(row.refunded_minor, row.currency),
        channel=row.channel,
        donated_at=row.donated_at,
        donor=display_name(row.donor_name, row.anonymous, language),
    )


async def ledger_version(session: AsyncSession, campaign: Campaign) -> str:
    """A tag of the foundation's journal that moves with every entry committed (each
    donation and refund is one), so it tells when the campaign's public list of donations
    changes."""
    return await ReportRepository(session).ledger_version(campaign.foundation_id)


async def donations_page(
    session: AsyncSession, campaign: Campaign, params: PageParams
) -> list[DonationRow]:
    return await ReportRepository(session).donations(campaign.id, params)


async def all_donations(database: Database, campaign_id: uuid.UUID) -> AsyncIterator[DonationRow]:
    """Every donation of the campaign, newest first, read in batches of
    :data:`EXPORT_BATCH`, each in a short read transaction of its own: a slow download
    holds no database connection while the client reads. Donations made meanwhile (newer
    than the first batch) are not included."""
    after: uuid.UUID | None = None
    while True:
        async with transaction(database, write=False) as session:
            rows = await ReportRepository(session).donations(
                campaign_id, PageParams(limit=EXPORT_BATCH, after=after)
            )
        for row in rows[:EXPORT_BATCH]:
            yield row
        if len(rows) <= EXPORT_BATCH:
            return
        after = rows[EXPORT_BATCH - 1].id
