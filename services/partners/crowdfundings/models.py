from __future__ import annotations

import datetime as dt
import enum
import uuid

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kit.db import IdMixin, TimestampMixin, UTCDateTime
from services.partners.base import Base
from services.partners.organisations.models import str_enum

# The use of the money is reported within three months of the end, as the Charity Law asks
# of public fundraising: the guidance the foundation gives groups.
USE_REPORT_DAYS = 90


class ReportKind(enum.StrEnum):
    RAISED = "raised"
    USED = "used"


class ChecklistItem(enum.StrEnum):
    """What an open, transparent crowdfunding does (the foundation's plan for groups)."""

    PLAN_PUBLISHED = "plan_published"
    CUSTODIAN_NAMED = "custodian_named"
    DONATIONS_LISTED = "donations_listed"
    RECEIPTS_KEPT = "receipts_kept"
    USE_REPORTED = "use_reported"
    SURPLUS_SETTLED = "surplus_settled"


class Crowdfunding(IdMixin, TimestampMixin, Base):
    __tablename__ = "crowdfundings"
    __table_args__ = (Index("ix_crowdfundings_foundation_id_id", "foundation_id", "id"),)

    foundation_id: Mapped[uuid.UUID]
    group_name: Mapped[str] = mapped_column(String(200))
    partner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("partner_organisations.id"))
    purpose: Mapped[str] = mapped_column(String(500))
    plan: Mapped[str] = mapped_column(Text, default="")
    goal_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    use_report_due_on: Mapped[dt.date] = mapped_column(Date)


class CrowdfundingReport(IdMixin, TimestampMixin, Base):
    """An amount the group reports raised or used: its word, recorded by the foundation."""

    __tablename__ = "crowdfunding_reports"
    __table_args__ = (Index("ix_crowdfunding_reports_crowdfunding_id_id", "crowdfunding_id", "id"),)

    crowdfunding_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("crowdfundings.id", ondelete="CASCADE")
    )
    kind: Mapped[ReportKind] = mapped_column(str_enum(ReportKind))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reported_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")


class CrowdfundingCheck(Base):
    """One checklist item done (absent: not done)."""

    __tablename__ = "crowdfunding_checks"

    crowdfunding_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("crowdfundings.id", ondelete="CASCADE"), primary_key=True
    )
    item: Mapped[ChecklistItem] = mapped_column(str_enum(ChecklistItem), primary_key=True)
    done_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
