"""Goods handed out from a campaign's stock to one recipient; one line per item, each
with the share of the item's value that left with it."""

from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin, UTCDateTime
from services.donations.base import Base


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
