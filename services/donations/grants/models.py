from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin, UTCDateTime
from services.donations.base import Base


class GrantReceived(IdMixin, TimestampMixin, Base):
    """E.g. a host's "Stream Plan" fund (溪流计划专项资金), restricted to epidemic work."""

    __tablename__ = "grants_received"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    foundation_id: Mapped[uuid.UUID] = mapped_column(index=True)
    # The campaign credited, or null for the unrestricted fund.
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    fund_id: Mapped[uuid.UUID]
    grantor: Mapped[str] = mapped_column(String(200))
    programme: Mapped[str | None] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text, default="")
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journal_entries.id"))


class GrantPaid(IdMixin, TimestampMixin, Base):
    """Money granted to a partner organisation, known to this service only by its id."""

    __tablename__ = "grants_paid"
    __table_args__ = (CheckConstraint("amount_minor > 0", name="amount_positive"),)

    foundation_id: Mapped[uuid.UUID] = mapped_column(index=True)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    fund_id: Mapped[uuid.UUID]
    partner_organisation_id: Mapped[uuid.UUID] = mapped_column(index=True)
    purpose: Mapped[str] = mapped_column(Text, default="")
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    paid_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journal_entries.id"))
