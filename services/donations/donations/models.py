from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin, UTCDateTime
from kit.money import Money
from services.donations.base import Base


class Donation(IdMixin, TimestampMixin, Base):
    __tablename__ = "donations"
    __table_args__ = (
        CheckConstraint("amount_minor > 0", name="amount_positive"),
        # Lists page through a campaign's donations by id, and totals sum over them.
        Index("ix_donations_campaign_id_id", "campaign_id", "id"),
    )

    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id"))
    foundation_id: Mapped[uuid.UUID]
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    donor_name: Mapped[str | None] = mapped_column(String(200))
    # Personal data stays private unless the donor asked to be named (PIPL).
    anonymous: Mapped[bool] = mapped_column(default=True)
    donated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    @property
    def amount(self) -> Money:
        return Money(self.amount_minor, self.currency)
