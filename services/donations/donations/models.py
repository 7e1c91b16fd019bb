from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin, UTCDateTime
from kit.money import Money
from services.donations.base import Base


class Channel(enum.StrEnum):
    WECHAT_PAY = "wechat_pay"
    ALIPAY = "alipay"
    BANK_TRANSFER = "bank_transfer"
    CASH = "cash"
    HOST_PLATFORM = "host_platform"
    # Not said: a donation recorded through the API without a channel, to a campaign that
    # raises on no host platform. Reports show it as such rather than guess one.
    UNSPECIFIED = "unspecified"


class Donation(IdMixin, TimestampMixin, Base):
    __tablename__ = "donations"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        CheckConstraint(
            "refunded_minor >= 0 AND refunded_minor <= amount_minor", name="refund_within_amount"
        ),
        # Lists page through a campaign's donations by id, and totals sum over them.
        Index("ix_donations_campaign_id_id", "campaign_id", "id"),
        # A payment channel's transaction is one donation, however often it is reported.
        UniqueConstraint("foundation_id", "channel", "external_id"),
        UniqueConstraint("foundation_id", "receipt_number"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id"))
    foundation_id: Mapped[uuid.UUID]
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    channel: Mapped[Channel] = mapped_column(
        Enum(Channel, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e]),
        default=Channel.UNSPECIFIED,
    )
    external_id: Mapped[str | None] = mapped_column(String(128))
    donor_name: Mapped[str | None] = mapped_column(String(200))
    # Personal data stays private unless the donor asked to be named (PIPL).
    anonymous: Mapped[bool] = mapped_column(default=True)
    # Never shown publicly: a phone number or e-mail address for receipts and thanks.
    donor_contact: Mapped[str | None] = mapped_column(String(200))
    # The platform's own id of the donor (e.g. an account id); counts unique donors.
    donor_ref: Mapped[str | None] = mapped_column(String(128))
    donated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Given by the log's sequencer when it takes the donation's entry in (see
    # donations.integration); null for the moment before.
    receipt_number: Mapped[str | None] = mapped_column(String(32))
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    import_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("donation_imports.id"))
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journal_entries.id"))

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)


class ReceiptCounter(Base):
    """The last receipt number given out, per foundation and year. Only the log's
    sequencer moves it (one runs at a time), so no donation waits on it."""

    __tablename__ = "receipt_counters"

    foundation_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(BigInteger, default=0)


class CampaignDonor(Base):
    """One row per distinct donor of a campaign, keyed by a hash of who they are, with the
    journal entry of the donation that first brought them: the log's sequencer counts a
    donor into the campaign's tally when it takes that entry in."""

    __tablename__ = "campaign_donors"

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    donor_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Null for donors counted before the tally moved to the sequencer (migration 0008).
    entry_id: Mapped[uuid.UUID | None] = mapped_column(index=True)


class CampaignTally(Base):
    """Counts that are not money, kept next to the ledger's totals for the report and, like
    them, moved only by the log's sequencer: as of the latest head."""

    __tablename__ = "campaign_tallies"

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    unique_donors: Mapped[int] = mapped_column(BigInteger, default=0)
