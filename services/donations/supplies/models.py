"""Stock is counted per fund (campaign, or the foundation's unrestricted fund), item and
unit, in whole units. Its value (purchase cost or declared fair value) is carried into the
ledger's stock account; a distribution takes out value in proportion to the quantity, and
the last unit takes the remainder, so that an emptied item is worth exactly zero."""

from __future__ import annotations

import enum
import uuid

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin
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
