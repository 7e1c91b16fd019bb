from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin, UTCDateTime
from kit.money import Money
from services.donations.base import Base


class CampaignStatus(enum.StrEnum):
    """draft → open → closed → settled. Donations only while open; spending while open or
    closed; nothing moves once settled (the final accounts are done)."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    SETTLED = "settled"


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
    # A phase follows an earlier campaign of the same foundation (phase 2 follows phase 1).
    follows_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("campaigns.id"))
    phase: Mapped[int] = mapped_column(Integer, default=1)
    # Raised under a licensed host's public-fundraising filing (备案编号), on its platform.
    host_name: Mapped[str | None] = mapped_column(String(200))
    host_filing_number: Mapped[str | None] = mapped_column(String(100))
    host_platform: Mapped[str | None] = mapped_column(String(200))
    # Joint campaigns: [{"name": ..., "foundation_id": ... or null}, ...]
    co_organisers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    settled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # Bumped by every change; the ETag of the campaign.
    version: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def goal(self) -> Money:
        return Money(self.goal_minor, self.currency)

    @property
    def may_spend(self) -> bool:
        return self.status in (CampaignStatus.OPEN, CampaignStatus.CLOSED)
