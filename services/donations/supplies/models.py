"""Stock is counted per fund (campaign, or the foundation's unrestricted fund), item and
unit, in whole units. Its value (purchase cost or declared fair value) is carried into the
ledger's stock account; a distribution takes out value in proportion to the quantity, and
the last unit takes the remainder, so that an emptied item is worth exactly zero."""

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
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin, UTCDateTime
from services.donations.base import Base


class StockItem(IdMixin, TimestampMixin, Base):
    __tablename__ = "stock_items"
    __table_args__ = (
        UniqueConstraint("foundation_id", "fund_id", "name", "unit"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("value_minor >= 0", name="value_not_negative"),
    )

    foundation_id: Mapped[uuid.UUID]
    fund_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(50))
    quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    value_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3))


class MovementKind(enum.StrEnum):
    IN_KIND = "in_kind"
    PURCHASE = "purchase"
    DISTRIBUTION = "distribution"


class StockMovement(IdMixin, TimestampMixin, Base):
    """Every change of a stock item's quantity; their sum is the item's quantity."""

    __tablename__ = "stock_movements"
    __table_args__ = (Index("ix_stock_movements_item_id", "item_id"),)

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock_items.id"))
    foundation_id: Mapped[uuid.UUID]
    kind: Mapped[MovementKind] = mapped_column(
        Enum(
            MovementKind,
            native_enum=False,
            length=32,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    quantity: Mapped[int] = mapped_column(BigInteger)  # signed: in positive, out negative
    value_minor: Mapped[int] = mapped_column(BigInteger)  # signed likewise
    source_id: Mapped[uuid.UUID] = mapped_column(index=True)


class InKindDonation(IdMixin, TimestampMixin, Base):
    __tablename__ = "in_kind_donations"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint(
            "fair_value_minor IS NULL OR fair_value_minor >= 0", name="value_not_negative"
        ),
    )

    foundation_id: Mapped[uuid.UUID]
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock_items.id"))
    item: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(50))
    quantity: Mapped[int] = mapped_column(BigInteger)
    fair_value_minor: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    donor_name: Mapped[str | None] = mapped_column(String(200))
    anonymous: Mapped[bool] = mapped_column(default=True)
    donor_contact: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Null when the goods were given no value: a stock movement, but no money movement.
    entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("journal_entries.id"))


class Purchase(IdMixin, TimestampMixin, Base):
    """Goods bought with a campaign's money: cash out, stock in, at cost."""

    __tablename__ = "purchases"
    __table_args__ = (CheckConstraint("total_minor > 0", name="total_positive"),)

    foundation_id: Mapped[uuid.UUID]
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id"), index=True)
    supplier: Mapped[str] = mapped_column(String(200))
    purchased_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    # Where the invoice or receipt is kept, and its SHA-256, so that it cannot be swapped.
    evidence_ref: Mapped[str | None] = mapped_column(String(500))
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journal_entries.id"))


class PurchaseLine(IdMixin, Base):
    __tablename__ = "purchase_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_minor > 0", name="unit_price_positive"),
    )

    purchase_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("purchases.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock_items.id"))
    item: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(50))
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    amount_minor: Mapped[int] = mapped_column(BigInteger)


class RecipientKind(enum.StrEnum):
    COMMUNITY = "community"  # a residential community (社区)
    GROUP = "group"  # e.g. property-management staff, security guards
    ORGANISATION = "organisation"
    HOUSEHOLD = "household"


class Distribution(IdMixin, TimestampMixin, Base):
    """Goods handed out from stock to one recipient."""

    __tablename__ = "distributions"

    foundation_id: Mapped[uuid.UUID]
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    fund_id: Mapped[uuid.UUID]
    recipient_name: Mapped[str] = mapped_column(String(200))
    recipient_kind: Mapped[RecipientKind] = mapped_column(
        Enum(
            RecipientKind,
            native_enum=False,
            length=32,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    distributed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
    # Null when the goods given out had no recorded value.
    entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("journal_entries.id"))


class DistributionLine(IdMixin, Base):
    __tablename__ = "distribution_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    distribution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("distributions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stock_items.id"))
    item: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(50))
    quantity: Mapped[int] = mapped_column(BigInteger)
    value_minor: Mapped[int] = mapped_column(BigInteger)
