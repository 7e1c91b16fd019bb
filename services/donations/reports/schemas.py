from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from kit.money import Currency, MoneyOut
from services.donations.campaigns.models import CampaignStatus
from services.donations.distributions.models import RecipientKind
from services.donations.donations.models import Channel


class ReportHostRead(BaseModel):
    """The licensed foundation whose public-fundraising filing the campaign raises under."""

    name: str | None
    filing_number: str | None = Field(description="备案编号, the filing number of the campaign")
    platform: str | None = Field(description="the designated online platform")


class CoOrganiserRead(BaseModel):
    name: str
    foundation_id: uuid.UUID | None


class CampaignFacts(BaseModel):
    id: uuid.UUID
    foundation_id: uuid.UUID
    foundation_name: str | None = Field(description="null until the directory's name is known")
    title: str
    purpose: str
    status: CampaignStatus
    goal: MoneyOut
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    closed_at: dt.datetime | None
    phase: int
    follows_id: uuid.UUID | None = Field(description="the campaign this phase follows")
    host: ReportHostRead | None = Field(description="null when the foundation raises on its own")
    co_organisers: list[CoOrganiserRead]


class PublicCampaignRead(CampaignFacts):
    """A campaign as a foundation's public list shows it: its facts and headline figures;
    the full account is its report."""

    opened_at: dt.datetime | None
    settled_at: dt.datetime | None
    raised: list[MoneyOut] = Field(
        description="donations less refunds, per currency; the campaign's own always"
    )
    donation_count: int = Field(description="number of money donations (人次)")
    unique_donors: int
    report: str = Field(description="the path of the campaign's public report")


class RaisedRead(BaseModel):
    currency: Currency
    gross: MoneyOut = Field(description="money donated")
    refunds: MoneyOut = Field(description="money given back")
    net: MoneyOut = Field(description="gross less refunds")


class InKindRead(BaseModel):
    """Goods donated, per item, unit and the currency of their declared value."""

    item: str
    unit: str
    quantity: int
    fair_value: MoneyOut | None = Field(description="null for goods given no value")


class BoughtRead(BaseModel):
    item: str
    unit: str
    quantity: int
    cost: MoneyOut


class RecipientItemRead(BaseModel):
    item: str
    unit: str
    quantity: int


class ReportRecipientRead(BaseModel):
    name: str
    kind: RecipientKind
    items: list[RecipientItemRead]


class ReportExpenseRead(BaseModel):
    category: str
    amount: MoneyOut


class ReportConversionRead(BaseModel):
    currency: Currency
    converted_out: MoneyOut = Field(description="money of this currency changed into another")
    converted_in: MoneyOut = Field(description="money of this currency got from another")


class StockRead(BaseModel):
    item: str
    unit: str
    quantity: int
    value: MoneyOut = Field(description="at cost or declared fair value")


class BalanceRead(BaseModel):
    cash: list[MoneyOut] = Field(description="money the campaign holds, per currency")
    stock: list[StockRead] = Field(description="goods on hand")
    stock_value: list[MoneyOut] = Field(description="value of the goods on hand, per currency")


class LedgerHeadRead(BaseModel):
    """Which of the foundation's journal entries the figures count: those in its
    transparency log's head of this size (``log`` names the signed head)."""

    seq: int = Field(description="how many entries of the foundation's log the figures count")
    hash: str = Field(description="the log's root hash at that size (hex)")


class LogHeadRead(BaseModel):
    """The transparency log's signed head the report stands against: check it, and any
    entry's inclusion in it, with ``fnet verify``."""

    size: int = Field(description="how many of the foundation's entries the head holds")
    root_hash: str = Field(description="the head's Merkle tree hash (hex)")
    issued_at: dt.datetime
    pending: int = Field(
        description="entries recorded but not yet in this head (the log takes them in well "
        "under a second); 0 in a disclosure, whose head holds every entry its figures count"
    )
    path: str = Field(description="where the signed head is served")


class ReportRead(BaseModel):
    """A campaign's public account. Every money figure is the ledger's, per currency (sums
    never mix currencies); quantities are whole units. Donors are not named here."""

    campaign: CampaignFacts
    raised: list[RaisedRead] = Field(description="per currency; the campaign's own always")
    donation_count: int = Field(description="number of money donations (人次), refunded or not")
    refund_count: int
    unique_donors: int = Field(description="distinct donors; one who gave twice counts once")
    grants_received: list[MoneyOut]
    in_kind: list[InKindRead]
    in_kind_value: list[MoneyOut] = Field(description="declared value of goods donated")
    bought: list[BoughtRead]
    purchases_spent: list[MoneyOut] = Field(description="money spent on purchases")
    distributed: list[ReportRecipientRead] = Field(description="goods given out, per recipient")
    distributed_value: list[MoneyOut] = Field(description="value of the goods given out")
    expenses: list[ReportExpenseRead] = Field(description="paid expenses per category and currency")
    grants_paid: list[MoneyOut]
    conversions: list[ReportConversionRead]
    balance: BalanceRead
    ledger: LedgerHeadRead
    log: LogHeadRead | None = Field(
        description="the foundation's latest signed log head; null before its first"
    )


class PublicDonationRead(BaseModel):
    """A donation as anyone may see it: the donor's name only with their consent."""

    id: uuid.UUID
    amount: MoneyOut
    refunded: MoneyOut
    channel: Channel
    donated_at: dt.datetime
    donor: str = Field(
        description="the name of a donor who agreed to be named; otherwise its first "
        "character and `**` (王**), or 匿名 / Anonymous (by Accept-Language) without a name",
        examples=["王**"],
    )
