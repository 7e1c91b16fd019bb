from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import BigInteger, CheckConstraint, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin, UTCDateTime
from services.donations.base import Base


class ExpenseStatus(enum.StrEnum):
    """submitted → approved → paid, or submitted → rejected."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAID = "paid"


class Expense(IdMixin, TimestampMixin, Base):
    __tablename__ = "expenses"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    foundation_id: Mapped[uuid.UUID] = mapped_column(index=True)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    fund_id: Mapped[uuid.UUID]
    category: Mapped[str] = mapped_column(String(64))
    payee: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    evidence_ref: Mapped[str | None] = mapped_column(String(500))
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[ExpenseStatus] = mapped_column(
        Enum(
            ExpenseStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=ExpenseStatus.SUBMITTED,
    )
    submitted_by: Mapped[str] = mapped_column(String(200))
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    paid_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    entry_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("journal_entries.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
