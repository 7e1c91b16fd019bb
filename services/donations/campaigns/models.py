from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import BigInteger, CheckConstraint, Enum, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin, UTCDateTime
from kit.money import Money
from services.donations.base import Base


class CampaignStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Campaign(IdMixin, TimestampMixin, Base):
    __tablename__ = "campaigns"
    __table_args__ = (CheckConstraint("goal_minor > 0", name="goal_positive"),)

    foundation_id: Mapped[uuid.UUID] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text, default="")
    goal_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[CampaignStatus] = mapped_column(
        Enum(
            CampaignStatus,
            native_enum=False,
            length=16,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=CampaignStatus.OPEN,
    )
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @property
    def goal(self) -> Money:
        return Money(self.goal_minor, self.currency)

    def accepts_donations_at(self, when: dt.datetime) -> bool:
        return self.status is CampaignStatus.OPEN and (self.ends_at is None or when < self.ends_at)
